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

        #expect(
            try repository.tagNames()
                == (try repo.git(["tag", "-l"]).split(separator: "\n").map(String.init)))
        let tags = try repository.tagNames().compactMap { name -> GitKit.Tag? in
            guard case .tag(let tag)? = try repository.readTag(named: name, maxObjectBytes: 1 << 20) else {
                return nil
            }
            return tag
        }
        let expected = try repo.git(["tag", "-l"]).split(separator: "\n").map(String.init).filter {
            $0 != "a-tree"
        }
        #expect(tags.map(\.name) == expected)
        #expect(try repository.readTag(named: "a-tree", maxObjectBytes: 1 << 20) == nil)
        #expect(try repository.readTag(named: "missing", maxObjectBytes: 1 << 20) == nil)
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

    /// A tag object over the limit is refused from its header, before it is read; so is one
    /// behind a chain of tags, and a chain longer than `maxTagChain`.
    @Test func tagObjectsOverTheLimitAreNotRead() throws {
        let repo = try TemporaryRepository.withHistory()
        let message = repo.directory.appending("message")
        try Data(repeating: UInt8(ascii: "m"), count: 100_000).write(to: message)
        try repo.git(["tag", "-a", "-F", message.path, "big", "HEAD"])
        try repo.git(["tag", "-a", "-m", "small", "outer", "big"])
        let repository = try repo.open()
        let bigID = try repo.git(["rev-parse", "refs/tags/big"])
        #expect(
            try repository.readTag(named: "big", maxObjectBytes: 65_536)
                == .unreadable(
                    name: "big",
                    reason:
                        "its tag object \(bigID.prefix(7)) is \(try repo.git(["cat-file", "-s", "big"])) bytes; a tag is at most 65536 bytes"
                ))
        guard
            case .unreadable(_, let reason)? = try repository.readTag(named: "outer", maxObjectBytes: 65_536)
        else {
            Issue.record("a tag of an over-limit tag was read")
            return
        }
        #expect(reason.hasPrefix("its tag object \(bigID.prefix(7)) is "))
        guard case .tag(let big)? = try repository.readTag(named: "big", maxObjectBytes: 200_000) else {
            Issue.record("big was not read within a larger limit")
            return
        }
        #expect(big.message?.utf8.count == 100_001)
        var previous = "HEAD"
        for index in 0...Repository.maxTagChain {
            try repo.git(["tag", "-a", "-m", "link", "chain\(index)", previous])
            previous = "chain\(index)"
        }
        #expect(
            try repository.readTag(named: previous, maxObjectBytes: 1 << 20)
                == .unreadable(name: previous, reason: "it is a chain of more than 16 tags"))
        guard case .tag(let short)? = try repository.readTag(named: "chain14", maxObjectBytes: 1 << 20) else {
            Issue.record("a chain of 15 tags was not read")
            return
        }
        #expect(short.targetID == (try repository.resolveCommit("HEAD")))
        #expect(short.message == "link\n")
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
