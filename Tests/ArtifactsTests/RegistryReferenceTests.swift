import Foundation
import TestSupport
import Testing

@testable import Artifacts

@Suite struct RegistryReferenceTests {
    @Test func parsesRegistryRepositoryTagAndDigest() throws {
        let plain = try RegistryReference(parsing: "127.0.0.1:5000/team/housing:v1.4")
        #expect(plain.registry == "127.0.0.1:5000")
        #expect(plain.repository == "team/housing")
        #expect(plain.tag == "v1.4")
        #expect(plain.reference == "v1.4")
        #expect(plain.isLoopback)
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let pinned = try RegistryReference(parsing: "docker://registry.example.com/housing@\(digest)")
        #expect(pinned.digest?.description == digest)
        #expect(pinned.reference == digest)
        #expect(!pinned.isLoopback)
        #expect(try RegistryReference(parsing: "localhost/x").reference == "latest")
        for bad in ["housing:v1", "host.example/UPPER:v1", "host.example/a:-bad", "host.example/a@sha256:12"]
        {
            #expect(throws: ArtifactError.self) { try RegistryReference(parsing: bad) }
        }
    }

    @Test func credentialsComeFromTheEnvironmentOrTheDockerConfig() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mg-docker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let auth = Data("ada:pa:ss".utf8).base64EncodedString()
        try Data(
            #"{"auths": {"https://reg.example.com:5000/v1/": {"auth": "\#(auth)"}, "other.example": {"username": "bo", "password": "x"}}}"#
                .utf8
        ).write(to: directory.appendingPathComponent("config.json"))
        let fromFile = try RegistryCredentials.lookup(
            registry: "reg.example.com:5000", environment: ["DOCKER_CONFIG": directory.path])
        #expect(fromFile?.username == "ada")
        #expect(fromFile?.password == "pa:ss")
        #expect(
            try RegistryCredentials.lookup(
                registry: "other.example", environment: ["DOCKER_CONFIG": directory.path])?.username == "bo")
        #expect(
            try RegistryCredentials.lookup(
                registry: "none.example", environment: ["DOCKER_CONFIG": directory.path]) == nil)
        let fromEnvironment = try RegistryCredentials.lookup(
            registry: "reg.example.com:5000",
            environment: [
                "DOCKER_CONFIG": directory.path, "MODELGATE_REGISTRY_USER": "env",
                "MODELGATE_REGISTRY_PASSWORD": "pw",
            ])
        #expect(fromEnvironment?.username == "env")
    }

}
