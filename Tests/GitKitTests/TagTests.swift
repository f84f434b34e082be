import Foundation
import GitKit
import TestSupport
import Testing

/// Annotated tags made by GitKit are what `git tag`, `git cat-file` and `git interpret-trailers` see.
@Suite struct TagTests {
    @Test func createTagIsAnAnnotatedTagToGit() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let target = try repository.resolveCommit("HEAD~1")
        let message =
            "Release housing v1.4\n\nModelgate-Artifact: sha256:abc123\nModelgate-Environment: production   \n\n"
        let tagger = Signature(
            name: "Release Bot", email: "bot@example.com", date: Date(timeIntervalSince1970: 1_767_300_000),
            utcOffsetMinutes: 60)
        let tag = try repository.createTag("housing@v1.4.0", target: target, message: message, tagger: tagger)

        #expect(try repo.git(["cat-file", "-t", "housing@v1.4.0"]) == "tag")
        #expect(try repo.git(["rev-parse", "housing@v1.4.0^{commit}"]) == target.hex)
        #expect(try repo.git(["rev-parse", "housing@v1.4.0"]) == tag.tagID.hex)
        #expect(
            try repo.git(["tag", "-n", "-l", "housing@v1.4.0"]) == "housing@v1.4.0  Release housing v1.4")
        #expect(
            try repo.git([
                "tag", "-l", "--format=%(taggername) %(taggeremail) %(taggerdate:raw)", "housing@v1.4.0",
            ])
                == "Release Bot <bot@example.com> 1767300000 +0100")
        // Cleaned up like `git tag -m`: trailing spaces and blank lines gone, one final newline.
        let cleaned =
            "Release housing v1.4\n\nModelgate-Artifact: sha256:abc123\nModelgate-Environment: production\n"
        #expect(tag.message == cleaned)
        let raw = try repo.gitResult(["cat-file", "tag", "housing@v1.4.0"]).stdout
        #expect(raw.hasSuffix("\n\n" + cleaned))
        #expect(
            try repo.git(["interpret-trailers", "--parse"], input: cleaned)
                == "Modelgate-Artifact: sha256:abc123\nModelgate-Environment: production")
        #expect(tag.isAnnotated)
        #expect(tag.targetID == target)
        #expect(tag.tagger == tagger)
        #expect(try repository.tag(named: "housing@v1.4.0") == tag)
    }

    @Test func tagsMatchGitTagList() throws {
        let repo = try TemporaryRepository.withHistory()
        try repo.git(["tag", "light", "HEAD~2"])
        try repo.git(["tag", "-a", "-m", "by git\n\nwith body", "annotated", "HEAD~1"])
        let tree = try repo.git(["rev-parse", "HEAD^{tree}"])
        try repo.git(["tag", "a-tree", tree])  // not a commit tag: left out
        let repository = try repo.open()
        try repository.createTag(
            "housing#prod#3", target: try repository.resolveCommit("HEAD"), message: "deploy")

        let tags = try repository.tags()
        let expected = try repo.git(["tag", "-l"]).split(separator: "\n").map(String.init).filter {
            $0 != "a-tree"
        }
        #expect(tags.map(\.name) == expected)
        for tag in tags {
            #expect(try repo.git(["rev-parse", "\(tag.name)^{commit}"]) == tag.targetID.hex)
            #expect(try repo.git(["rev-parse", "refs/tags/\(tag.name)"]) == tag.tagID.hex)
            #expect(try (repo.git(["cat-file", "-t", "refs/tags/\(tag.name)"]) == "tag") == tag.isAnnotated)
        }
        let light = try repository.tag(named: "light")
        #expect(
            !light.isAnnotated && light.message == nil && light.tagger == nil && light.tagID == light.targetID
        )
        let annotated = try repository.tag(named: "annotated")
        #expect(annotated.message == "by git\n\nwith body\n")
        #expect(annotated.tagger?.name == TemporaryRepository.identity.name)
        #expect(gitError { _ = try repository.tag(named: "a-tree") }?.exitStatus == .badInput)
        #expect(gitError { _ = try repository.tag(named: "missing") }?.exitStatus == .badInput)
    }

    @Test func existingTagIsRefusedAndKept() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let first = try repository.createTag(
            "v1", target: try repository.resolveCommit("HEAD~1"), message: "one")
        let error = gitError {
            try repository.createTag("v1", target: try repository.resolveCommit("HEAD"), message: "two")
        }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.isAlreadyExisting == true)
        #expect(error?.summary.contains("already exists") == true)
        #expect(error?.hint?.contains("another name") == true)
        #expect(try repo.git(["rev-parse", "v1"]) == first.tagID.hex)
        // A lightweight tag made by git counts as existing too.
        try repo.git(["tag", "v2"])
        #expect(
            gitError {
                try repository.createTag("v2", target: try repository.resolveCommit("HEAD~1"), message: "x")
            }?.isAlreadyExisting == true)
    }

    @Test(arguments: [
        "bad name", "-leading-dash", "a..b", "x~1", "y^2", "colon:s", "q?", "star*", "sq[", "end.lock", "",
        "back\\slash", "dot/.hidden", "trailing/",
    ])
    func invalidTagNameIsBadInput(name: String) throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        // git agrees that the name is not acceptable.
        let gitAccepts =
            try repo.gitResult(["check-ref-format", "refs/tags/\(name)"]).status == 0 && !name.hasPrefix("-")
            && !name.isEmpty
        #expect(!gitAccepts)
        let error = gitError {
            try repository.createTag(name, target: try repository.resolveCommit("HEAD"), message: "m")
        }
        #expect(error?.exitStatus == .badInput)
        #expect(error?.summary.contains("not a valid tag name") == true)
        #expect(try repo.git(["tag", "-l"]).isEmpty)
    }

    @Test func tagOnMissingCommitIsBadInput() throws {
        let repo = try TemporaryRepository.withHistory()
        let repository = try repo.open()
        let missing = try objectID(String(repeating: "12", count: 20))
        #expect(
            gitError { try repository.createTag("v9", target: missing, message: "m") }?.exitStatus
                == .badInput)
        let blob = try objectID(repo.git(["rev-parse", "HEAD:README.md"]))
        #expect(
            gitError { try repository.createTag("v9", target: blob, message: "m") }?.exitStatus == .badInput)
        #expect(try repo.git(["tag", "-l"]).isEmpty)
    }
}
