import Foundation
import TestSupport
import Testing

/// `modelgate pull` and `push` against registries that try to take credentials elsewhere or fill
/// the disk (`HostileRegistry`): the secret never reaches another host, downloads stop at the
/// declared size, and every refusal is a clear message, a documented exit code and nothing left
/// in the target.
@Suite struct RegistrySecurityTests {
    private func credentials(_ registry: HostileRegistry) throws -> [String: String] {
        let empty = registry.work.appendingPathComponent("no-docker")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        return [
            "MODELGATE_REGISTRY_USER": HostileRegistry.user,
            "MODELGATE_REGISTRY_PASSWORD": HostileRegistry.password, "DOCKER_CONFIG": empty.path,
        ]
    }

    /// Real registries send blobs from S3 or a CDN: the redirect is followed, the credentials
    /// (basic, or the bearer token got with them) stay with the registry.
    @Test(arguments: ["basic", "bearer"])
    func credentialsDoNotFollowARedirectToAnotherHost(scenario: String) throws {
        let registry = try HostileRegistry(scenario: scenario)
        let target = registry.work.appendingPathComponent("pulled")
        let pull = try ModelgateBinary.run(
            ["pull", "\(registry.address)/team/model:v1", "--to", target.path, "--insecure"],
            in: registry.work, environment: try credentials(registry))
        #expect(pull.status == 0, "\(pull.stderr)")
        let requests = try registry.requests()
        let cdn = requests.filter { $0.server == "cdn" }
        #expect(cdn.count == 2, "config and layer come from the CDN: \(requests.map(\.path))")
        for request in cdn {
            #expect(request.headers["authorization"] == nil, "\(request.path): \(request.headers)")
        }
        // The registry itself did get them (so there was something to leak).
        #expect(requests.contains { $0.server == "registry" && $0.headers["authorization"] != nil })
        let model = try Data(contentsOf: target.appendingPathComponent("model.bin"))
        #expect(model == Data(String(repeating: "public model bytes\n", count: 1000).utf8))
    }
}
