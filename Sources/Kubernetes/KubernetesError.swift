import Diagnostics

/// Why `modelgate deploy k8s` wrote no manifests.
public enum KubernetesError: UserFacingError, Equatable {
    /// The environment is not a DNS-1123 label.
    case badEnvironment(String)
    /// `--registry` is not `REGISTRY/REPOSITORY` (the reason in words).
    case badRegistry(String, reason: String)
    /// The revision or tag names no blessed commit (the refusal and its hint).
    case notDeployable(String, reason: String, hint: String?)
    /// A file in the output folder was not written by `deploy k8s` (or is not a plain file).
    case notOurs(path: String, found: String)

    /// What is wrong.
    public var summary: String {
        switch self {
        case .badEnvironment(let environment):
            "'\(TerminalText.cell(environment, limit: 80))' is not a valid environment name for Kubernetes"
        case .badRegistry(let registry, let reason):
            "'\(TerminalText.cell(registry, limit: 120))' is not a registry repository: \(reason)"
        case .notDeployable(let target, let reason, _):
            "refusing to deploy '\(TerminalText.cell(target, limit: 80))': \(reason)"
        case .notOurs(let path, let found):
            "\(path) exists and was not written by 'modelgate deploy k8s' (\(found))"
        }
    }

    /// Where.
    public var location: String? {
        switch self {
        case .badEnvironment: "--env"
        case .badRegistry: "--registry"
        case .notDeployable(let target, _, _): target
        case .notOurs(let path, _): path
        }
    }

    /// How to fix it.
    public var hint: String? {
        switch self {
        case .badEnvironment:
            "use lowercase letters, digits and '-' (at most 63, starting and ending with a letter or digit), e.g. production"
        case .badRegistry:
            "write REGISTRY/REPOSITORY without a tag or digest, e.g. ghcr.io/team/housing (the image is pinned by digest)"
        case .notDeployable(_, _, let hint):
            hint ?? "deploy a commit that passed its gates, or a release tag of one"
        case .notOurs:
            "choose another --out folder, remove the file, or pass --force to replace it"
        }
    }

    /// 2: every case is input to fix.
    public var exitStatus: ExitStatus { .badInput }
}
