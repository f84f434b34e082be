import ArgumentParser
import Diagnostics
import Foundation

/// The `modelgate` command: parses flags, runs one subcommand, maps errors to the exit-code contract.
@main
struct Modelgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: Tool.name,
        abstract: "Model CI/CD inside git: gate commits and pushes on a model's metrics.",
        discussion: Help.discussion(),
        version: Tool.version,
        subcommands: [
            Init.self, Run.self, Status.self, Show.self, Verify.self, Sign.self, Log.self, Diff.self,
            Train.self, Predict.self,
            Install.self, Uninstall.self, Hooks.self, Hook.self, Sync.self,
            Artifact.self, PackageImage.self, Push.self, Pull.self, Deployable.self, Release.self,
            Deploy.self,
            Releases.self, Deployed.self, Deployments.self, GC.self,
            SiteCommand.self, Doctor.self, Report.self, Serve.self,
        ])

    /// Runs the command line and exits with the documented status.
    static func main() async {
        do {
            // The hooks' and the cached answers' exact lines skip ArgumentParser's parse (a
            // quarter of a cached answer's start-up); every other line, errors and help included,
            // is ArgumentParser's.
            if var command = FastArguments.command(for: Array(CommandLine.arguments.dropFirst())) {
                return try command.run()
            }
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as UserFacingError {
            Terminal.printError(error.renderedMessage)
            Foundation.exit(error.exitStatus.rawValue)
        } catch {
            // Help, --version and parse errors are ArgumentParser's to print (parse errors exit
            // 64); anything else reaching here is our bug, not the user's mistake.
            if Modelgate.isArgumentParserError(error) {
                exit(withError: error)
            }
            Terminal.printError("internal error: \(error), please report this")
            Foundation.exit(ExitStatus.failure.rawValue)
        }
    }

    /// True for errors ArgumentParser reports itself: help, --version, usage errors, `ExitCode`.
    static func isArgumentParserError(_ error: Error) -> Bool {
        String(reflecting: type(of: error)).hasPrefix("ArgumentParser.")
    }
}
