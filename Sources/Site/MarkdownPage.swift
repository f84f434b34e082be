import Foundation
import Markdown

/// Markdown from the repository or a run (reports, model cards, pages) as HTML that loads
/// nothing from another host.
///
/// cmark drops raw HTML, and `Markdown` keeps links to http, https, mailto and relative
/// targets only. On top of that: an image on another host (`![](https://tracker/pixel.png)`)
/// becomes a plain link to it, so the reader's browser contacts nobody until the reader clicks;
/// an image the site has a copy of (a run report's plot, copied next to its page) stays an
/// image of that copy; any other image becomes its alt text. Links to other hosts get
/// `rel="nofollow noopener noreferrer"`.
enum MarkdownPage {
    /// `markdown` as HTML; `localImages` maps an image URL as written in the Markdown to the
    /// page-relative URL of the site's copy.
    static func html(from markdown: String, localImages: [String: String] = [:]) -> String {
        var html = Markdown.html(from: markdown) { url in
            if let copy = localImages[url] { return .image(source: copy) }
            if let scheme = urlScheme(of: url), scheme == "http" || scheme == "https" { return .link(url) }
            return .altText
        }
        if html.contains("<a href=\"http") {
            html = html.replacingOccurrences(
                of: "<a href=\"http", with: "<a rel=\"nofollow noopener noreferrer\" href=\"http")
        }
        return html
    }
}
