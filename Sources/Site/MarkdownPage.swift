import Foundation
import Markdown

/// Markdown from the repository (reports, model cards, pages) as HTML that loads nothing.
///
/// cmark already drops raw HTML and `javascript:` URLs. On top of that, images become their
/// alt text (a report's `![](https://tracker/pixel.png)` must not make the reader's browser
/// contact another host, and repository images are not copied into the site), and links to
/// other hosts get `rel="nofollow noopener noreferrer"`: they stay clickable, but nothing is
/// fetched until the reader follows one.
enum MarkdownPage {
    static func html(from markdown: String) -> String {
        var html = Markdown.html(from: markdown)
        if html.contains("<img ") { html = replaceImages(html) }
        if html.contains("<a href=\"") {
            html = html.replacingOccurrences(
                of: "<a href=\"http", with: "<a rel=\"nofollow noopener noreferrer\" href=\"http")
        }
        return html
    }

    /// cmark writes `<img src="…" alt="…" />` (or with ` title="…"`); keep only the alt text.
    static func replaceImages(_ html: String) -> String {
        var result = ""
        var rest = html[...]
        while let start = rest.range(of: "<img ") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].range(of: "/>") else {
                rest = rest[start.upperBound...]
                break
            }
            let tag = rest[start.lowerBound..<end.upperBound]
            var alt = ""
            if let altStart = tag.range(of: "alt=\"") {
                alt = String(tag[altStart.upperBound...].prefix { $0 != "\"" })
            }
            // The alt text is already escaped by cmark.
            result += "<span class=\"image-omitted\">[image: \(alt)]</span>"
            rest = rest[end.upperBound...]
        }
        result += rest
        return result
    }
}
