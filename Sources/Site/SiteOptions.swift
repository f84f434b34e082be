import Foundation

/// What `modelgate site` was asked for.
public struct SiteOptions: Sendable {
    /// The branch to show; nil for the branch HEAD is on.
    public var branch: String?
    /// The site's title; nil for the model's name.
    public var title: String?
    /// Where the site will be served (e.g. `https://models.example.com/housing/`), used for
    /// absolute links in the exports (Grafana dashboard, history.json); pages stay relative.
    public var baseURL: String?
    /// A folder overriding the compiled-in templates file by file.
    public var templates: URL?
    /// Markdown files of the repository to render as extra pages (path in the tip's tree, else on disk).
    public var pages: [String]
    /// Page and window sizes (tests shrink them).
    var layout = SiteLayout()

    /// Makes options; everything defaults to "as the repository says".
    public init(
        branch: String? = nil, title: String? = nil, baseURL: String? = nil, templates: URL? = nil,
        pages: [String] = []
    ) {
        self.branch = branch
        self.title = title
        self.baseURL = baseURL
        self.templates = templates
        self.pages = pages
    }
}

/// How much goes on one page: fixed sizes keep every file bounded whatever the history's length.
struct SiteLayout: Sendable {
    /// Commits per page of the commits list (pages are numbered from the oldest, so they stay stable).
    var commitsPerPage = 50
    /// First-parent positions per chart window on a metric's pages (also numbered from the oldest).
    var chartWindow = 200
    /// Commits shown in the index's charts.
    var indexWindow = 100
    /// Charts on the index; all metrics are on `metrics.html`.
    var indexCharts = 12
    /// Rows of the index's recent commits table.
    var recentCommits = 20
    /// Most metrics with chart pages (one page per window each); the rest are listed on
    /// `metrics.html` only, so a record's 10,000 metrics cannot add 10,000 pages.
    var chartedMetrics = 1_000
    /// Changed paths listed on a commit page.
    var changedFilesShown = 200
    /// First-parent positions per part of the `history.json` export.
    var historyPart = 500
    /// Largest CSV blob whose rows are counted.
    var rowCountLimit = 4 << 20
}

/// A file of the site: where it goes, what its content depends on, and how to make it.
struct PlannedFile {
    /// Path relative to the output folder.
    let path: String
    /// A digest of everything the content depends on; nil means "always render and compare".
    let key: String?
    /// Prepares the content. Runs on the building thread (it may read the repository); the
    /// Mustache rendering of a `.page` happens later, on any core.
    let make: () throws -> FileContent
}

/// A planned file's content: bytes ready to write, or a Mustache page still to be rendered.
///
/// Unchecked: a page's context holds only values (strings, numbers, booleans, arrays and
/// dictionaries of them) that nothing mutates after `make` returns, so it can cross threads.
enum FileContent: @unchecked Sendable {
    case bytes(Data)
    case page(template: String, context: [String: Any])
    /// Bytes made later, on any core, by work that needs nothing from the repository (the
    /// Markdown of a generated report), so the building thread moves on to the next file.
    case later(@Sendable () -> Data)
}

/// Short, safe file names for author-controlled names (metrics, tags, pages).
enum Slug {
    /// `name` itself when it is plain lowercase ASCII, else a sanitised form plus a hash suffix,
    /// so two names never share a file and no name can escape its folder.
    static func make(_ name: String) -> String {
        let bytes = Array(name.utf8)
        let plain =
            !bytes.isEmpty && bytes.count <= 80 && bytes[0] != UInt8(ascii: ".")
            && bytes.allSatisfy { isPlain($0) }
        if plain { return name }
        var cleaned = ""
        for byte in bytes.prefix(40) {
            let lower = (byte >= 65 && byte <= 90) ? byte + 32 : byte
            cleaned.append(
                isPlain(lower) && lower != UInt8(ascii: ".") ? Character(UnicodeScalar(lower)) : "_")
        }
        return cleaned + "-" + String(SHA256Hex.of(name).prefix(10))
    }

    private static func isPlain(_ byte: UInt8) -> Bool {
        (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
    }
}
