import Foundation
import GitKit
import Pipeline

extension FuzzEntry {
    /// The commit every fuzzed deployment note hangs on.
    static let deployedCommit = ObjectID(hex: String(repeating: "ab", count: 20))!

    /// A deployment note fetched from a remote (`refs/notes/modelgate-deployments`), read as
    /// `DeploymentLog` reads it; its first line is also read as a `--at` time. Traps when a
    /// deployment is accepted whose fields break `DeploymentRules`, or whose own note line does
    /// not read back as the same deployment (what `record` writes must be what every reader reads).
    public static func deployment(_ bytes: [UInt8]) {
        let decoder = DeploymentDecoder()
        let decoded = decoder.decode(note: bytes, on: deployedCommit)
        for deployment in decoded.deployments {
            precondition(DeploymentRules.environmentProblem(deployment.env) == nil)
            precondition(DeploymentRules.fieldProblem(deployment.by, "by") == nil)
            precondition(deployment.image.map(DeploymentRules.imageProblem) ?? nil == nil)
            precondition(!deployment.line.contains("\n"))
            let again = decoder.decode(line: Substring(deployment.line), on: deployedCommit)
            precondition((try? again.get()) == deployment)
        }
        let firstLine = bytes.prefix { $0 != 0x0A }
        _ = DeploymentTime.parse(String(decoding: firstLine, as: UTF8.self))
    }
}
