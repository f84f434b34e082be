import CCmark
import Foundation

/// CommonMark (plus GitHub's pipe tables) to HTML through cmark, safe by default.
public enum Markdown {
    /// Renders Markdown as an HTML fragment; `image` decides what each image becomes.
    ///
    /// cmark parses and renders with `CMARK_OPT_DEFAULT` and never `CMARK_OPT_UNSAFE`: raw HTML
    /// becomes a comment and `javascript:` URLs lose their target, so text a commit author
    /// wrote cannot run in a reader's browser. Between parsing and rendering the tree is
    /// changed in three ways, all through cmark's own nodes so that every byte of author text
    /// is still escaped by cmark's renderer:
    /// - paragraphs that are GFM pipe tables become tables (`CommonMarkTree.tables`);
    /// - a link whose URL has a scheme other than http, https or mailto (`data:` included,
    ///   which cmark lets through for images) loses its target;
    /// - each image becomes what `image(url)` says: an image, a plain link, or its alt text.
    public static func html(
        from markdown: String, image: (String) -> MarkdownImage = { .image(source: $0) }
    ) -> String {
        let tree = CommonMarkTree(markdown)
        tree.tables()
        tree.applyURLPolicy(image: image)
        return tree.html()
    }

    /// The URL of every image in `markdown`, in document order (tables included), as cmark
    /// parsed it (escapes and entities resolved).
    public static func imageURLs(in markdown: String) -> [String] {
        let tree = CommonMarkTree(markdown)
        tree.tables()
        return tree.imageURLs()
    }

    /// A pipe table with more columns than this stays a paragraph.
    public static let maximumTableColumns = PipeTable.maximumColumns

    /// The linked cmark version, e.g. "0.30.2".
    public static var libraryVersion: String {
        String(cString: cmark_version_string())
    }
}

/// What an image of a Markdown document becomes in the HTML.
public enum MarkdownImage: Equatable, Sendable {
    /// An `<img>` whose `src` is this URL (escaped by cmark).
    case image(source: String)
    /// A plain link to this URL whose text is the image's alt text: nothing is fetched.
    case link(String)
    /// The alt text only, marked as an omitted image.
    case altText
}

/// The URL's scheme, lowercased ("https", "data"), or nil for a relative URL.
///
/// RFC 3986: letters, digits, `+`, `-`, `.` starting with a letter, ended by `:` before any `/`,
/// `?` or `#`.
public func urlScheme(of url: String) -> String? {
    var scheme = ""
    for character in url.unicodeScalars {
        if character == ":" { return scheme.isEmpty ? nil : scheme.lowercased() }
        let isLetter = ("a"..."z").contains(character) || ("A"..."Z").contains(character)
        let isOther = ("0"..."9").contains(character) || "+-.".unicodeScalars.contains(character)
        guard isLetter || (!scheme.isEmpty && isOther) else { return nil }
        scheme.unicodeScalars.append(character)
    }
    return nil
}
