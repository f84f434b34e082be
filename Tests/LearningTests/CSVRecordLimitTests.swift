import Foundation
import Testing

@testable import Learning

@Suite struct CSVRecordLimitTests {
    /// Reads every record of `text` (served in 7-byte pieces) with records limited to `limit` bytes.
    private func readAll(_ text: String, limit: Int) throws -> Int {
        let csv = try CSVReader(
            source: ChunkByteSource(string: text, chunkSize: 7), name: "t.csv", chunkSize: 16,
            maxRecordBytes: limit)
        var rows = 0
        while try csv.next() { rows += 1 }
        return rows
    }

    /// A quote that is never closed makes the rest of the file one record: the reader stops at
    /// the limit with an error naming the record's line, instead of growing its buffer to the
    /// size of the file (before, it read to the end and only then reported the open quote).
    @Test func anOpenQuoteStopsAtTheRecordLimit() throws {
        let text = "a,b\n1,2\n\"" + String(repeating: "x,y\n", count: 2000) + "3,4\n"
        let error = try #require(throws: DataError.self) { try readAll(text, limit: 1024) }
        #expect(error.kind == .recordTooLong)
        #expect(error.location == "t.csv:3:1")
        #expect(error.summary == "the record starting here is longer than 1024 bytes; expected its end")
    }

    /// Records up to the limit read as before, however the pieces fall.
    @Test func recordsUpToTheLimitRead() throws {
        let long = "\"" + String(repeating: "z", count: 100) + "\",1\n"
        #expect(try readAll("a,b\n" + long + long + "2,3\n", limit: 128) == 3)
    }
}
