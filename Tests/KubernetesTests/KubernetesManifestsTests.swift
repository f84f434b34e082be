import Foundation
import Kubernetes
import Testing
import Yams

/// Names, label values and the YAML of `KubernetesManifests`, read back with Yams.
@Suite struct KubernetesManifestsTests {
    func workload(model: String = "housing", version: String? = "v1.2.0", port: Int = 8080)
        -> KubernetesManifests.Workload
    {
        .init(
            model: model, commit: String(repeating: "1", count: 40),
            artifact: "sha256:" + String(repeating: "a", count: 64),
            version: version, environment: "production",
            image: "ghcr.io/team/housing@sha256:" + String(repeating: "b", count: 64), replicas: 3,
            port: port,
            user: 65532)
    }

    func documents(_ manifests: KubernetesManifests) throws -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for file in try manifests.files() {
            #expect(file.yaml.hasPrefix(KubernetesManifests.header))
            result[file.name] = try #require(try Yams.load(yaml: file.yaml) as? [String: Any])
        }
        return result
    }

    @Test(arguments: [
        ("Housing Prices", "housing-prices"), ("--a__b--", "a-b"), ("ÉTÉ/model", "t-model"), ("", ""),
        (String(repeating: "x", count: 80), String(repeating: "x", count: 63)),
    ])
    func dnsLabels(input: String, expected: String) {
        #expect(KubernetesManifests.dnsLabel(input) == expected)
    }

    @Test func labelValuesKeepToKubernetesRules() {
        #expect(KubernetesManifests.labelValue("team/housing v2") == "team-housing-v2")
        #expect(KubernetesManifests.labelValue("_x.") == "x")
        #expect(KubernetesManifests.labelValue(String(repeating: "a", count: 70)).count == 63)
        #expect(KubernetesManifests.isDNSLabel("production"))
        #expect(!KubernetesManifests.isDNSLabel("Production"))
        #expect(!KubernetesManifests.isDNSLabel("prod\nkind: Secret"))
        #expect(!KubernetesManifests.isDNSLabel("-prod"))
    }

    @Test func aLongModelNameStillGivesALabelWithTheEnvironment() {
        let manifests = KubernetesManifests(
            workload: workload(model: String(repeating: "m", count: 100)), flavour: .kserve)
        #expect(manifests.name.count == 63)
        #expect(manifests.name.hasSuffix("-production"))
    }

    /// A model name or version YAML would read as another type (or as more YAML) stays one string.
    @Test func hostileNamesStayOneStringScalar() throws {
        let manifests = KubernetesManifests(
            workload: workload(model: "true", version: "1.0\n---\nkind: Secret"),
            flavour: .deployment(serviceMonitor: false))
        let documents = try documents(manifests)
        let deployment = try #require(documents["deployment.yaml"])
        let metadata = try #require(deployment["metadata"] as? [String: Any])
        let labels = try #require(metadata["labels"] as? [String: Any])
        #expect(labels["app.kubernetes.io/name"] as? String == "true")
        #expect(labels["app.kubernetes.io/version"] as? String == "1.0-----kind--Secret")
        #expect(labels["modelgate.dev/commit"] as? String == String(repeating: "1", count: 40))
        #expect(manifests.name == "true-production")
        for file in try manifests.files() {
            #expect(try Yams.load_all(yaml: file.yaml).map { $0 }.count == 1)
        }
    }

    @Test func theDeploymentRunsTheImageLockedDown() throws {
        let documents = try documents(
            KubernetesManifests(workload: workload(), flavour: .deployment(serviceMonitor: true)))
        #expect(documents.keys.sorted() == ["deployment.yaml", "service.yaml", "servicemonitor.yaml"])
        let spec = try #require(documents["deployment.yaml"]?["spec"] as? [String: Any])
        #expect(spec["replicas"] as? Int == 3)
        let template = try #require(spec["template"] as? [String: Any])
        let annotations = (template["metadata"] as? [String: Any])?["annotations"] as? [String: Any]
        #expect(annotations?["prometheus.io/scrape"] as? String == "true")
        #expect(annotations?["prometheus.io/port"] as? String == "8080")
        #expect(annotations?["prometheus.io/path"] as? String == "/metrics")
        let pod = try #require(template["spec"] as? [String: Any])
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        #expect(container["image"] as? String == workload().image)
        #expect(container["command"] == nil)
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["runAsNonRoot"] as? Bool == true)
        #expect(security["runAsUser"] as? Int == 65532)
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect((security["capabilities"] as? [String: Any])?["drop"] as? [String] == ["ALL"])
        let liveness = (container["livenessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        #expect(liveness?["path"] as? String == "/v2/health/live")
        let readiness = (container["readinessProbe"] as? [String: Any])?["httpGet"] as? [String: Any]
        #expect(readiness?["path"] as? String == "/v2/health/ready")
        let monitor = try #require(documents["servicemonitor.yaml"])
        #expect(monitor["apiVersion"] as? String == "monitoring.coreos.com/v1")
    }

    @Test func anotherPortReplacesTheCommand() throws {
        let documents = try documents(
            KubernetesManifests(workload: workload(port: 9000), flavour: .deployment(serviceMonitor: false)))
        let spec = try #require(documents["deployment.yaml"]?["spec"] as? [String: Any])
        let pod = ((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        let container = try #require((pod?["containers"] as? [[String: Any]])?.first)
        #expect((container["command"] as? [String])?.suffix(2) == ["--port", "9000"])
        #expect((container["ports"] as? [[String: Any]])?.first?["containerPort"] as? Int == 9000)
    }
}
