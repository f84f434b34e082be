import Checksum
import FileSafety
import Foundation
import GitKit
import Markdown

/// The Markdown report a command stage writes (`report: report.md`, CML-style), with the
/// images it shows, kept in the run store by the run's fingerprint.
///
/// A report and its plots are output of a stage, which runs the repository's (possibly
/// hostile) code, so collecting them follows the checkout's rules and bounds: every file is
/// opened through `ContainedDirectory` (no link leads outside the checkout), only the images
/// the report references by a relative URL are taken, each must be a PNG, JPEG or SVG by its
/// content (`ReportImage.kind`) and within `ReportImage.byteLimit`, at most
/// `StageReport.imageLimit` of them, and the report itself within `byteLimit`. What breaks a
/// rule is left out (the site shows the image's alt text), never an error: a report is for
/// reading, not a gate.
///
/// In the run store each image is a file named by its SHA-256, and this index (the report's
/// text and its images' names, digests and kinds) is written last, atomically, so a reader
/// finds a whole report or none. The record names the report's path and the SHA-256 of its
/// text, and readers check both that and every image's digest, so a stale or altered bundle is
/// never shown as this run's.
public struct StageReport: Codable, Sendable, Equatable {
    /// One image of the report.
    public struct Image: Codable, Sendable, Equatable {
        /// The URL as written in the report (`plots/cm.png`).
        public var url: String
        /// Its path in the checkout, relative to the root (`reports/plots/cm.png`).
        public var path: String
        /// The hex SHA-256 of its content.
        public var sha256: String
        /// What its content is.
        public var kind: ReportImage
    }

    /// The report's path as declared, relative to the repository root.
    public var path: String
    /// The report's text.
    public var markdown: String
    /// The images it references that could be taken, in order of first reference.
    public var images: [Image]

    /// The largest report text taken, in bytes.
    public static let byteLimit = 1 << 20
    /// The most images taken from one report.
    public static let imageLimit = 32

    /// The record's reference to this report.
    public var reference: RunRecord.Report {
        RunRecord.Report(path: path, sha256: "sha256:" + Self.hex(of: Data(markdown.utf8)))
    }

    /// The hex SHA-256 of `data`.
    static func hex(of data: Data) -> String {
        let hash = SHA256()
        hash.update(data)
        return hash.finalize()
    }

    /// The report at `path` in `checkout` and its images' content (in `images` order); nil when
    /// the stage wrote no readable report there (missing, not a regular file, too large, or
    /// reached through a link leading outside).
    static func collect(path: String, in checkout: URL) -> (StageReport, [Data])? {
        let directory = ContainedDirectory(root: checkout)
        guard let file = try? directory.open(path), file.kind == .file,
            let data = try? file.read(atMost: byteLimit + 1), data.count <= byteLimit
        else { return nil }
        let markdown = String(decoding: data, as: UTF8.self)
        var images: [Image] = []
        var contents: [Data] = []
        var seen = Set<String>()
        for url in Markdown.imageURLs(in: markdown)
        where images.count < imageLimit && seen.insert(url).inserted {
            guard let imagePath = relativePath(of: url, from: path),
                let opened = try? directory.open(imagePath), opened.kind == .file,
                let bytes = try? opened.read(atMost: ReportImage.byteLimit + 1),
                bytes.count <= ReportImage.byteLimit, let kind = ReportImage.kind(of: bytes)
            else { continue }
            images.append(Image(url: url, path: imagePath, sha256: hex(of: bytes), kind: kind))
            contents.append(bytes)
        }
        return (StageReport(path: path, markdown: markdown, images: images), contents)
    }

    /// The repository path an image URL of the report at `reportPath` names, or nil when it is
    /// not a plain relative path inside the repository (a scheme, `/…`, `//host`, a query, a
    /// fragment, `..` above the root, a control character).
    public static func relativePath(of url: String, from reportPath: String) -> String? {
        guard !url.isEmpty, urlScheme(of: url) == nil, !url.hasPrefix("/"),
            !url.contains("?"), !url.contains("#")
        else { return nil }
        let decoded = url.removingPercentEncoding ?? url
        var components = reportPath.split(separator: "/").dropLast().map(String.init)
        for component in decoded.split(separator: "/", omittingEmptySubsequences: false) {
            switch component {
            case "", ".": continue
            case "..":
                guard !components.isEmpty else { return nil }
                components.removeLast()
            default: components.append(String(component))
            }
        }
        let joined = components.joined(separator: "/")
        return RepositoryPath.problem(in: joined) == nil ? joined : nil
    }
}

/// The run reports in the run store: `reports/<fingerprint>/index.json` and one file per image,
/// named by its SHA-256.
public struct StageReports {
    let store: RunStore

    /// The reports of `repository`'s runs.
    public init(repository: Repository) {
        store = RunStore(repository: repository)
    }

    init(store: RunStore) {
        self.store = store
    }

    private func folder(_ fingerprint: String) -> URL {
        store.root.appendingPathComponent(
            "reports/\(fingerprint.prefix(2))/\(fingerprint)", isDirectory: true)
    }

    /// Keeps `report` and its images' `contents` as the report of the run with `fingerprint`.
    func keep(_ report: StageReport, contents: [Data], fingerprint: String) throws {
        let folder = folder(fingerprint)
        for (image, data) in zip(report.images, contents) {
            try AtomicFile.write(data, to: folder.appendingPathComponent(image.sha256))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(report), to: folder.appendingPathComponent("index.json"))
    }

    /// The report of the run with `fingerprint` whose reference is `reference`, when this
    /// machine's run store has it and its text is the one named; nil otherwise (never ran here,
    /// removed, or altered).
    public func report(_ reference: RunRecord.Report, fingerprint: String) -> StageReport? {
        guard RecordLimits.fieldProblem(fingerprint, "fingerprint") == nil,
            fingerprint.allSatisfy(\.isHexDigit),
            let data = read(
                folder(fingerprint).appendingPathComponent("index.json"), limit: 4 * StageReport.byteLimit),
            let report = try? JSONDecoder().decode(StageReport.self, from: data),
            report.path == reference.path, report.reference.sha256 == reference.sha256
        else { return nil }
        return report
    }

    /// The content of `image` of the report of the run with `fingerprint`, when it is there,
    /// has the digest the report names, and is still an image of its kind.
    public func data(of image: StageReport.Image, fingerprint: String) -> Data? {
        guard fingerprint.allSatisfy(\.isHexDigit), image.sha256.allSatisfy(\.isHexDigit),
            let data = read(
                folder(fingerprint).appendingPathComponent(image.sha256), limit: ReportImage.byteLimit),
            StageReport.hex(of: data) == image.sha256, ReportImage.kind(of: data) == image.kind
        else { return nil }
        return data
    }

    /// The regular file at `url` within `limit` bytes; nil for anything else (a link is not
    /// followed, a FIFO not opened).
    private func read(_ url: URL, limit: Int) -> Data? {
        guard let folder = try? DirectoryHandle(opening: url.deletingLastPathComponent().path) else {
            return nil
        }
        return (try? folder.readFile(url.lastPathComponent, limit: limit)) ?? nil
    }
}

/// The kinds of image a report may show, recognised by content, never by name.
public enum ReportImage: String, Codable, Sendable, Equatable {
    case png, jpeg, svg

    /// The largest image taken, in bytes.
    public static let byteLimit = 5 << 20

    /// The file extension the site gives an image of this kind.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .svg: "svg"
        }
    }

    /// The kind of `data`: PNG and JPEG by their magic bytes; SVG when the XML's root element
    /// is `svg` (after an optional BOM, XML declaration, comments and a DOCTYPE without an
    /// internal subset) and nothing in it can run script or fetch from elsewhere (`<script`,
    /// `on…=` handlers, `javascript:`, `<foreignObject`, an `href` or `src` naming a host). Nil
    /// for anything else.
    public static func kind(of data: Data) -> ReportImage? {
        let bytes = [UInt8](data.prefix(8))
        if bytes == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        return isSafeSVG(data) ? .svg : nil
    }

    static func isSafeSVG(_ data: Data) -> Bool {
        guard data.count <= byteLimit, let text = String(data: data, encoding: .utf8) else { return false }
        var rest = Substring(text)
        if rest.hasPrefix("\u{FEFF}") { rest = rest.dropFirst() }
        while true {
            rest = rest.drop { $0.isWhitespace }
            if rest.hasPrefix("<?xml") {
                guard let end = rest.range(of: "?>") else { return false }
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("<!--") {
                guard let end = rest.range(of: "-->") else { return false }
                rest = rest[end.upperBound...]
            } else if rest.hasPrefix("<!DOCTYPE") {
                guard let end = rest.firstIndex(of: ">"), !rest[..<end].contains("[") else { return false }
                rest = rest[rest.index(after: end)...]
            } else {
                break
            }
        }
        guard rest.hasPrefix("<svg"), let next = rest.dropFirst(4).first, next.isWhitespace || next == ">"
        else { return false }
        let lower = text.lowercased()
        for needle in [
            "<script", "javascript:", "<foreignobject", "<!entity", "href=\"http", "href='http",
            "href=\"//", "href='//", "url(http", "url(//", "@import", "<iframe", "<object", "<embed",
        ]
        where lower.contains(needle) {
            return false
        }
        // Event handlers: `on` + letters + `=` after white space, e.g. ` onload=`.
        let scalars = Array(lower.unicodeScalars)
        var index = 0
        while index + 3 < scalars.count {
            defer { index += 1 }
            guard scalars[index].properties.isWhitespace, scalars[index + 1] == "o", scalars[index + 2] == "n"
            else { continue }
            var end = index + 3
            while end < scalars.count, ("a"..."z").contains(scalars[end]) { end += 1 }
            while end < scalars.count, scalars[end].properties.isWhitespace { end += 1 }
            if end > index + 3, end < scalars.count, scalars[end] == "=" { return false }
        }
        return true
    }
}
