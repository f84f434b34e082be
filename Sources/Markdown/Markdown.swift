import CCmark
import Foundation

/// CommonMark to HTML through cmark, safe by default.
public enum Markdown {
    /// Renders CommonMark as an HTML fragment.
    ///
    /// cmark runs with `CMARK_OPT_DEFAULT` and never `CMARK_OPT_UNSAFE`: raw HTML becomes a
    /// comment and `javascript:` links lose their target, so text a commit author wrote cannot
    /// run in a reader's browser.
    public static func html(from markdown: String) -> String {
        let length = markdown.utf8.count
        // cmark returns a malloc'd buffer that we own and must free.
        guard let rendered = cmark_markdown_to_html(markdown, length, CMARK_OPT_DEFAULT) else {
            return ""
        }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// The linked cmark version, e.g. "0.30.2".
    public static var libraryVersion: String {
        String(cString: cmark_version_string())
    }
}
