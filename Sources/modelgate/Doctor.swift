import ArgumentParser
import Diagnostics
import Foundation
import GitKit
import Markdown

/// `modelgate doctor`: where things are and what is installed, for humans and scripts.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Show where the repository, its hooks and modelgate's files are, and what is installed.",
        discussion: Help.discussion())

    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let report = try DoctorReport(repository: repository)
        if json {
            try Terminal.printJSON(report)
        } else {
            print(report.text)
        }
    }
}

extension URL {
    /// The process's current directory.
    static func currentDirectory() -> URL {
        URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    }
}
