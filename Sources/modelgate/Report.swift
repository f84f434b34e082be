import ArgumentParser
import Diagnostics
import GitKit
import Pipeline

/// `modelgate report [REV]`: a commit's verdict for a forge (step summary, PR comment, JUnit).
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a commit's verdict as GitHub-flavoured Markdown, JUnit XML or JSON, for CI.",
        discussion: Help.discussion(
            """
            markdown: for $GITHUB_STEP_SUMMARY and PR/MR comments (the verdict, who signed it, the
            gates with value, limit, baseline and delta, the metrics against the baseline, the
            inputs that changed, how to reproduce, a link to the commit's page with --site-url).
            Its first line is the hidden marker <!-- modelgate-report --> so a bot can update one
            sticky comment; it is at most 65,536 characters. junit: a test case per gate and per
            stage, for GitLab's artifacts:reports:junit, Jenkins and others. json: the same facts.
            Exit status 0 whatever the verdict (the run step is what fails a job); 2 when the
            commit has no record.

            """))

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case markdown, junit, json
    }

    @Argument(help: "The commit.") var rev = "HEAD"
    @Option(help: "markdown, junit or json.") var format: Format = .markdown
    @Option(help: "The published site's root URL (http or https), to link the commit's page.")
    var siteURL: String?

    func validate() throws {
        if let siteURL, let problem = ForgeReport.siteURLProblem(siteURL) {
            throw ValidationError("--site-url '\(siteURL)' cannot be used: \(problem)")
        }
    }

    func run() throws {
        let repository = try Repository(discoveringFrom: .currentDirectory())
        let commit = try repository.resolveCommit(rev)
        guard let record = try PipelineInspector(repository: repository).record(for: .revision(commit.hex))
        else {
            throw GitError(
                operation: "report on \(rev)", message: "\(rev) (\(commit.short)) has not been evaluated",
                hint:
                    "run 'modelgate run --rev \(commit.short)' (or 'modelgate sync' to fetch CI's verdicts)",
                exitStatus: .badInput)
        }
        var report = try ForgeReport(record: record, commit: commit, in: repository, siteRoot: siteURL)
        // With a trust policy, the report names who vouched for the verdict, as `show` does.
        if let (_, signers) = try TrustedVerdicts.policy(in: repository) {
            report.signer = try TrustedVerdicts(repository: repository, signers: signers).voucher(for: commit)
        }
        switch format {
        case .markdown: print(MarkdownReport.render(report), terminator: "")
        case .junit: print(JUnitReport.render(report), terminator: "")
        case .json: try Terminal.printJSON(report)
        }
    }
}
