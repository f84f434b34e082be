import Diagnostics
import Foundation
import GitKit
import TestSupport
import Testing

@testable import Pipeline

/// The one tag parser: git's trailer rule, GTO's name rule, and the limits of a run record.
@Suite struct ReleaseTagTests {
    func parse(_ name: String, _ message: String, tagger: Signature? = nil) -> Result<
        ReleaseTag, UnreadableTag
    > {
        ReleaseTag.parse(name: name, commit: .zero, isAnnotated: true, tagger: tagger, message: message)
    }

    @Test func trailersAreTheLastParagraphWhenEveryLineIsOne() throws {
        let tag = try parse(
            "housing@v1.2.0",
            "Ship it\r\n\nLonger text.\n\nModelgate-Artifact: sha256:abc\nmodelgate-environment:  staging \r\nModelgate-Environment: production\nModelgate-Metrics: {\"r2\": 0.93}\n\n\n"
        ).get()
        #expect(
            tag.trailers.map(\.key) == [
                "Modelgate-Artifact", "modelgate-environment", "Modelgate-Environment", "Modelgate-Metrics",
            ])
        #expect(tag.trailers[1].value == "staging")
        #expect(tag.environment == "production")  // keys without case, the last one wins
        #expect(tag.artifact == "sha256:abc" && tag.metrics == ["r2": 0.93])
        #expect(tag.body == "Ship it\r\n\nLonger text.")
        #expect(tag.gto == GTOName("housing@v1.2.0") && tag.gto?.version == "v1.2.0")
        #expect(tag.isRelease && tag.hasModelgateTrailers)

        // The first paragraph is the title, never trailers; a line that is not `Key: value`
        // makes the paragraph a body.
        #expect(try parse("v1", "Modelgate-Environment: production\n").get().trailers.isEmpty)
        let plain = try parse("v1.0", "Just a tag\n\nNot: a trailer paragraph\nbecause this line has none")
            .get()
        #expect(plain.trailers.isEmpty && !plain.isRelease && plain.environment == nil)
        #expect(try parse("v1", "t\n\nkey with space: v\n").get().trailers.isEmpty)
        #expect(try parse("v1", "").get().body == "")
    }

    @Test func gtoNamesFollowGTOsRules() {
        #expect(GTOName("housing@v1.2.3")?.version == "v1.2.3")
        #expect(GTOName("housing#prod#4") == GTOName("housing#prod#4"))
        #expect(GTOName("housing#prod#4")?.number == 4 && GTOName("housing#prod#4")?.environment == "prod")
        #expect(GTOName("team/housing#prod")?.number == nil)
        #expect(GTOName("housing#prod#999999999")?.number == 999_999_999)
        for name in [
            "v1.0", "Housing@v1.0.0", "housing@1.0.0", "housing@v1.02.3", "housing#prod#9223372036854775807",
            "housing#prod#1000000000", "housing#prod#-1", "housing#prod#+1", "housing#prod#",
            "housing#Prod#1",
            "housing#prod#١", "h#prod#1", "housing#prod#1#2", "", "@v1.0.0",
        ] {
            #expect(GTOName(name) == nil, "\(name)")
        }
        #expect(GTOName.isSemanticVersion("1.2.3-rc.1+build.5"))
        #expect(!GTOName.isSemanticVersion("1.٢.3"))
    }

    @Test(arguments: [
        ("x\u{1B}[31m", "t\n\nModelgate-Environment: prod\n", "its name holds U+001B"),
        (
            "v1", "t\n\nModelgate-Environment: prod\u{07}\n",
            "its trailer 'Modelgate-Environment' holds U+0007"
        ),
        ("v1", "t\n\nSigned-off-by: a\u{202E}b\n", "its trailer 'Signed-off-by' holds U+202E"),
        (
            "v1", "t\n\nModelgate-Fingerprint: " + String(repeating: "f", count: 1_025) + "\n",
            "its trailer 'Modelgate-Fingerprint' is 1025 bytes long; at most 1024 are allowed"
        ),
        (
            "v1", "t\n\nModelgate-Metrics: [1]\n",
            "its trailer 'Modelgate-Metrics' is not a JSON object of numbers"
        ),
        (
            "v1", "t\n\nModelgate-Metrics: {\"r2\": NaN}\n",
            "its trailer 'Modelgate-Metrics' is not a JSON object"
        ),
        (
            "v1", "t\n\nModelgate-Metrics: {\"a\\u001bb\": 1}\n",
            "its trailer 'Modelgate-Metrics' breaks a limit of run records: the metric name 'a␛b' holds U+001B"
        ),
    ])
    func tagsBreakingARuleAreUnreadable(_ name: String, _ message: String, _ reason: String) {
        guard case .failure(let unreadable) = parse(name, message) else {
            Issue.record("\(message.debugDescription) was read")
            return
        }
        #expect(unreadable.reason.hasPrefix(reason), "\(unreadable.reason)")
        #expect(TerminalText.firstUnsafe(in: unreadable.message) == nil)
    }

    @Test func taggersAndBodiesAreBounded() throws {
        let tagger = Signature(
            name: "eve\u{1B}]0;x\u{07}", email: "e@x", date: Date(timeIntervalSince1970: 0))
        #expect(throws: UnreadableTag.self) { try parse("v1", "t", tagger: tagger).get() }
        let long = try parse("v1", String(repeating: "b", count: 100_000) + "\n\nModelgate-Environment: p\n")
            .get()
        #expect(long.body.utf8.count <= ReleaseTag.bodyBytes && long.body.hasSuffix("…"))
        #expect(long.environment == "p")
    }

    /// The fuzzing entry point on mangled real tag messages: never traps, and whatever it
    /// accepts keeps the rules (it checks them itself).
    @Test func mangledMessagesNeverTrap() {
        let seeds = [
            "housing#prod#3\nRelease housing to prod\n\nModelgate-Artifact: sha256:abc\nModelgate-Environment: prod\nModelgate-Metrics: {\"r2\":0.93,\"rmse\":2.4}\nModelgate-Commit: 0123\n",
            "housing@v1.2.3\nShip\n\nbody\n\nSigned-off-by: a <a@b>\n",
        ]
        var generator = SeededGenerator(seed: 7)
        let alphabet: [UInt8] =
            Array("\n\r:#@{}\"\\ ,.-0123456789eE".utf8) + [0x1B, 0x00, 0xE2, 0x80, 0xAE, 0xFF]
        for seed in seeds {
            for _ in 0..<2_000 {
                var bytes = Array(seed.utf8)
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let position = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[position] = alphabet.randomElement(using: &generator)!
                    case 1: bytes.insert(alphabet.randomElement(using: &generator)!, at: position)
                    default: bytes.remove(at: position)
                    }
                    if bytes.isEmpty { bytes = [0x0A] }
                }
                _ = ReleaseTag.fuzz(Data(bytes))
            }
        }
    }
}
