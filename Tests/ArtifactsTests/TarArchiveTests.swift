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

    @Test func gnuTarAndLibarchiveReadOurLongPaths() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mg-tar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let long = "model/" + String(repeating: "very-long-directory-name/", count: 12) + "weights.bin"
        var bytes = try TarArchive.headers(
            path: "model/a.txt", size: 3, isDirectory: false, mtime: 1_767_225_600)
        bytes += Array("abc".utf8) + TarArchive.padding(3)
        bytes += try TarArchive.headers(path: long, size: 2, isDirectory: false, mtime: 1_767_225_600)
        bytes += Array("xy".utf8) + TarArchive.padding(2) + TarArchive.trailer
        let archive = directory.appendingPathComponent("layer.tar")
        try Data(bytes).write(to: archive)
        let reader = try TarReader(reading: archive)
        var paths: [String?] = []
        while let entry = try reader.next() { paths.append(entry.path) }
        #expect(paths == ["model/a.txt", long])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tar", "tf", archive.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(listing == "model/a.txt\n\(long)\n")
    }
}
