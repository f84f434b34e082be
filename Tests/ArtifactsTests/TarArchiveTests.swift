import Foundation
import Testing

@testable import Artifacts

@Suite struct TarArchiveTests {
    @Test func headersHaveValidChecksumsAndSplitLongNames() throws {
        let header = try TarArchive.header(path: "model/a.bin", size: 5, isDirectory: false, mtime: 0)
        #expect(header.count == 512)
        #expect(String(decoding: header[257..<262], as: UTF8.self) == "ustar")
        let long = String(repeating: "d/", count: 70) + "file.bin"
        let (prefix, name) = try TarArchive.split(long)
        #expect(prefix + "/" + name == long)
        #expect(prefix.utf8.count <= 155 && name.utf8.count <= 100)
    }

    @Test func paxRecordsCountTheirOwnLength() {
        let record = TarArchive.paxRecord("path", String(repeating: "x", count: 95))
        let text = String(decoding: record, as: UTF8.self)
        #expect(Int(text.prefix { $0 != " " }) == record.count)
    }
}
