import Foundation
import GitKit
import TestSupport
import Testing

@Suite struct ObjectIDTests {
    @Test func validatesHex() {
        #expect(
            ObjectID(hex: "CE013625030BA8DBA906F756967F9E9CA394464A")?.hex
                == "ce013625030ba8dba906f756967f9e9ca394464a")
        #expect(ObjectID(hex: "ce01362") == nil)
        #expect(ObjectID(hex: String(repeating: "g", count: 40)) == nil)
        #expect(ObjectID(hex: String(repeating: "a", count: 41)) == nil)
        #expect(ObjectID(hex: "ce013625030ba8dba906f756967f9e9ca394464a")?.short == "ce01362")
        #expect(ObjectID.zero.isZero)
    }

    @Test func codableAsAString() throws {
        let id = try objectID("ce013625030ba8dba906f756967f9e9ca394464a")
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == "[\"ce013625030ba8dba906f756967f9e9ca394464a\"]")
        #expect(try JSONDecoder().decode([ObjectID].self, from: json) == [id])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ObjectID].self, from: Data("[\"abc\"]".utf8))
        }
    }

    @Test func hashBlobMatchesGitHashObject() throws {
        let repo = try TemporaryRepository()
        let repository = try repo.open()
        for text in ["hello\n", "", String(repeating: "modelgate ", count: 10_000)] {
            try repo.write(["sample.txt": text])
            let expected = try objectID(repo.git(["hash-object", "sample.txt"]))
            #expect(try repository.hashBlob(Data(text.utf8)) == expected)
        }
        #expect(
            try Repository.hashBlob(Data("hello\n".utf8)).hex == "ce013625030ba8dba906f756967f9e9ca394464a")
    }

    @Test func hashFileMatchesGitHashObject() throws {
        let repo = try TemporaryRepository()
        let big = String((0..<100_000).map { "line \($0)\n" }.joined())
        try repo.write(["big.csv": big, "empty": ""])
        for name in ["big.csv", "empty"] {
            let expected = try objectID(repo.git(["hash-object", "--no-filters", name]))
            #expect(try Repository.hashFile(at: repo.url.appendingPathComponent(name)) == expected)
        }
        let missing = gitError { _ = try Repository.hashFile(at: repo.url.appendingPathComponent("nope")) }
        #expect(missing?.location?.hasSuffix("/nope") == true)
    }
}
