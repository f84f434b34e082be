import Foundation
import Yams

/// The Kubernetes objects that run one model's serving image in one environment: a Deployment
/// and a Service (plus a Prometheus Operator ServiceMonitor on request), or a KServe
/// InferenceService.
///
/// Every document is built as a YAML node tree and written by Yams, never by pasting text into
/// a template: a value from the user (model name, environment, registry) is always one scalar,
/// quoted when YAML would otherwise read it as a number, a boolean or null, so no input can add
/// keys or documents. Names are DNS-1123 labels made from the model's name and the environment;
/// label values keep to Kubernetes' label-value rules.
public struct KubernetesManifests: Sendable {
    /// What the manifests describe.
    public struct Workload: Sendable {
        /// The model's `name` (from `modelgate.yml`, via the artifact).
        public var model: String
        /// The commit served (40 hex).
        public var commit: String
        /// The artifact's digest, `sha256:…`.
        public var artifact: String
        /// The model version (a release tag or the short commit), when known.
        public var version: String?
        /// The environment, a DNS-1123 label (checked by `checkEnvironment`).
        public var environment: String
        /// `REGISTRY/REPOSITORY@sha256:…`.
        public var image: String
        /// How many pods.
        public var replicas: Int
        /// The port the server listens on in the pod.
        public var port: Int
        /// The non-root user the image runs as.
        public var user: Int

        /// Makes a workload.
        public init(
            model: String, commit: String, artifact: String, version: String?, environment: String,
            image: String, replicas: Int, port: Int, user: Int
        ) {
            self.model = model
            self.commit = commit
            self.artifact = artifact
            self.version = version
            self.environment = environment
            self.image = image
            self.replicas = replicas
            self.port = port
            self.user = user
        }
    }

    /// Which objects to write.
    public enum Flavour: Sendable {
        /// Deployment + Service, with a ServiceMonitor when `serviceMonitor`.
        case deployment(serviceMonitor: Bool)
        /// One KServe InferenceService (custom predictor container).
        case kserve
    }

    /// One file to write: its name in the output directory and its YAML.
    public struct File: Sendable, Equatable {
        /// File name, e.g. `deployment.yaml`.
        public let name: String
        /// The YAML document.
        public let yaml: String
    }

    /// The workload.
    public let workload: Workload
    /// The objects.
    public let flavour: Flavour

    /// Makes manifests for `workload`.
    public init(workload: Workload, flavour: Flavour) {
        self.workload = workload
        self.flavour = flavour
    }

    /// The objects' shared name: `<model>-<environment>`, a DNS-1123 label.
    public var name: String {
        let budget = 63 - workload.environment.count - 1
        var model = Self.dnsLabel(workload.model)
        if model.count > budget {
            model = String(model.prefix(budget))
            while model.hasSuffix("-") { model.removeLast() }
        }
        return model.isEmpty ? workload.environment : "\(model)-\(workload.environment)"
    }

    /// The files, in a fixed order.
    public func files() throws -> [File] {
        switch flavour {
        case .deployment(let serviceMonitor):
            var files = [
                File(name: "deployment.yaml", yaml: try Self.emit(deployment())),
                File(name: "service.yaml", yaml: try Self.emit(service())),
            ]
            if serviceMonitor {
                files.append(File(name: "servicemonitor.yaml", yaml: try Self.emit(self.serviceMonitor())))
            }
            return files
        case .kserve:
            return [File(name: "inferenceservice.yaml", yaml: try Self.emit(inferenceService()))]
        }
    }

    // MARK: - Objects

    /// Labels on every object and pod.
    var labels: Node {
        var pairs: [(Node, Node)] = [
            (text("app.kubernetes.io/name"), text(Self.labelValue(workload.model))),
            (text("app.kubernetes.io/instance"), text(name)),
            (text("app.kubernetes.io/component"), text("model-server")),
            (text("app.kubernetes.io/managed-by"), text("modelgate")),
        ]
        if let version = workload.version, !Self.labelValue(version).isEmpty {
            pairs.append((text("app.kubernetes.io/version"), text(Self.labelValue(version))))
        }
        pairs += [
            (text("modelgate.dev/model"), text(Self.labelValue(workload.model))),
            (text("modelgate.dev/commit"), text(Self.labelValue(workload.commit))),
            (text("modelgate.dev/env"), text(workload.environment)),
        ]
        return .mapping(.init(pairs))
    }

    /// What selects the pods: the instance alone, which stays the same from one commit to the
    /// next (a Deployment's selector cannot change).
    var selector: Node { map([("app.kubernetes.io/instance", text(name))]) }

    /// Prometheus' conventional scrape annotations (kubernetes_sd_configs relabelling).
    var scrapeAnnotations: [(String, Node)] {
        [
            ("prometheus.io/scrape", text("true")), ("prometheus.io/port", text("\(workload.port)")),
            ("prometheus.io/path", text("/metrics")),
        ]
    }

    func metadata(annotations: [(String, Node)] = []) -> Node {
        var pairs: [(String, Node)] = [("name", text(name)), ("labels", labels)]
        if !annotations.isEmpty { pairs.append(("annotations", map(annotations))) }
        return map(pairs)
    }

    /// The serving container: image by digest, probes on the v2 health routes, resources and a
    /// locked-down security context (the image's user, read-only root, no privileges).
    func container(name containerName: String) -> Node {
        var pairs: [(String, Node)] = [
            ("name", text(containerName)), ("image", text(workload.image)),
            ("imagePullPolicy", text("IfNotPresent")),
        ]
        if workload.port != 8080 {
            // The image's entrypoint listens on 8080; another port replaces the whole command.
            pairs.append(
                (
                    "command",
                    list(
                        [
                            "/usr/local/bin/modelgate-serve", "--model", "/model", "--host", "0.0.0.0",
                            "--port",
                            "\(workload.port)",
                        ].map(text))
                ))
        }
        pairs += [
            (
                "ports",
                list([
                    map([
                        ("name", text("http")), ("containerPort", int(workload.port)),
                        ("protocol", text("TCP")),
                    ])
                ])
            ),
            ("livenessProbe", probe("/v2/health/live", period: 10, failures: 3)),
            ("readinessProbe", probe("/v2/health/ready", period: 5, failures: 2)),
            (
                "resources",
                map([
                    ("requests", map([("cpu", text("100m")), ("memory", text("64Mi"))])),
                    ("limits", map([("cpu", text("1")), ("memory", text("256Mi"))])),
                ])
            ),
            (
                "securityContext",
                map([
                    ("runAsNonRoot", bool(true)), ("runAsUser", int(workload.user)),
                    ("runAsGroup", int(workload.user)), ("readOnlyRootFilesystem", bool(true)),
                    ("allowPrivilegeEscalation", bool(false)),
                    ("capabilities", map([("drop", list([text("ALL")]))])),
                ])
            ),
            ("volumeMounts", list([map([("name", text("tmp")), ("mountPath", text("/tmp"))])])),
        ]
        return map(pairs)
    }

    func probe(_ path: String, period: Int, failures: Int) -> Node {
        map([
            ("httpGet", map([("path", text(path)), ("port", text("http"))])), ("periodSeconds", int(period)),
            ("timeoutSeconds", int(2)), ("failureThreshold", int(failures)),
        ])
    }

    /// The pod-level settings shared by the Deployment and the InferenceService predictor.
    var podSettings: [(String, Node)] {
        [
            ("automountServiceAccountToken", bool(false)),
            (
                "securityContext",
                map([
                    ("runAsNonRoot", bool(true)), ("runAsUser", int(workload.user)),
                    ("runAsGroup", int(workload.user)), ("fsGroup", int(workload.user)),
                    ("seccompProfile", map([("type", text("RuntimeDefault"))])),
                ])
            ),
            (
                "volumes",
                list([map([("name", text("tmp")), ("emptyDir", map([("sizeLimit", text("16Mi"))]))])])
            ),
        ]
    }

    var modelAnnotations: [(String, Node)] {
        [
            ("modelgate.dev/artifact", text(workload.artifact)),
            ("modelgate.dev/commit", text(workload.commit)),
        ]
    }

    func deployment() -> Node {
        map([
            ("apiVersion", text("apps/v1")), ("kind", text("Deployment")),
            ("metadata", metadata(annotations: modelAnnotations)),
            (
                "spec",
                map([
                    ("replicas", int(workload.replicas)), ("revisionHistoryLimit", int(5)),
                    ("selector", map([("matchLabels", selector)])),
                    (
                        "template",
                        map([
                            (
                                "metadata",
                                map([
                                    ("labels", labels),
                                    ("annotations", map(scrapeAnnotations + modelAnnotations)),
                                ])
                            ),
                            ("spec", map([("containers", list([container(name: "server")]))] + podSettings)),
                        ])
                    ),
                ])
            ),
        ])
    }

    func service() -> Node {
        map([
            ("apiVersion", text("v1")), ("kind", text("Service")),
            ("metadata", metadata(annotations: scrapeAnnotations)),
            (
                "spec",
                map([
                    ("type", text("ClusterIP")), ("selector", selector),
                    (
                        "ports",
                        list([
                            map([
                                ("name", text("http")), ("port", int(workload.port)),
                                ("targetPort", text("http")),
                                ("protocol", text("TCP")),
                            ])
                        ])
                    ),
                ])
            ),
        ])
    }

    func serviceMonitor() -> Node {
        map([
            ("apiVersion", text("monitoring.coreos.com/v1")), ("kind", text("ServiceMonitor")),
            ("metadata", metadata()),
            (
                "spec",
                map([
                    ("selector", map([("matchLabels", selector)])),
                    (
                        "endpoints",
                        list([
                            map([
                                ("port", text("http")), ("path", text("/metrics")), ("interval", text("30s")),
                            ])
                        ])
                    ),
                ])
            ),
        ])
    }

    func inferenceService() -> Node {
        map([
            ("apiVersion", text("serving.kserve.io/v1beta1")), ("kind", text("InferenceService")),
            ("metadata", metadata(annotations: scrapeAnnotations + modelAnnotations)),
            (
                "spec",
                map([
                    (
                        "predictor",
                        map(
                            [
                                ("minReplicas", int(workload.replicas)),
                                ("labels", labels),
                                // The server speaks the Open Inference Protocol v2 (and KServe v1).
                                (
                                    "annotations",
                                    map([("modelgate.dev/protocol", text("v2"))] + scrapeAnnotations)
                                ),
                                ("containers", list([container(name: "kserve-container")])),
                            ] + podSettings)
                    )
                ])
            ),
        ])
    }

    // MARK: - Names

    /// `text` as a DNS-1123 label: lowercase letters, digits and '-', starting and ending with
    /// a letter or digit, at most 63 characters (empty when nothing usable is left).
    public static func dnsLabel(_ text: String) -> String {
        var result = ""
        for character in text.lowercased() {
            let usable = character.isASCII && (character.isLetter || character.isNumber)
            if usable {
                result.append(character)
            } else if !result.isEmpty, !result.hasSuffix("-") {
                result.append("-")
            }
            if result.count >= 63 { break }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result
    }

    /// `text` as a label value: letters, digits, '-', '_' and '.', starting and ending with a
    /// letter or digit, at most 63 characters.
    public static func labelValue(_ text: String) -> String {
        var result = ""
        for character in text where result.count < 63 {
            let usable = character.isASCII && (character.isLetter || character.isNumber)
            if usable || (!result.isEmpty && "-_.".contains(character)) {
                result.append(character)
            } else if !result.isEmpty {
                result.append("-")
            }
        }
        while let last = result.last, !(last.isLetter || last.isNumber) { result.removeLast() }
        return result
    }

    /// True when `name` is a DNS-1123 label (what an environment must be here).
    public static func isDNSLabel(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63 && dnsLabel(name) == name
    }

    // MARK: - YAML

    /// The document's text, with a first line naming its writer (what `deploy k8s` looks for
    /// before it overwrites a file).
    static func emit(_ node: Node) throws -> String {
        Self.header + (try Yams.serialize(node: node, indent: 2, width: -1, sortKeys: false))
    }

    /// The first line of every file this writes.
    public static let header = "# Generated by 'modelgate deploy k8s'; regenerate rather than edit.\n"
}

/// A string scalar, quoted when YAML would read it as something else.
private func text(_ value: String) -> Node { .scalar(value.represented()) }
private func int(_ value: Int) -> Node { .scalar(.init(String(value))) }
private func bool(_ value: Bool) -> Node { .scalar(.init(value ? "true" : "false")) }
private func list(_ items: [Node]) -> Node { .sequence(.init(items)) }
private func map(_ pairs: [(String, Node)]) -> Node { .mapping(.init(pairs.map { (text($0.0), $0.1) })) }
