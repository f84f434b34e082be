import Markdown

extension FuzzEntry {
    /// A Markdown document (a report, model card or page from a repository or a run), rendered
    /// as the site renders it: tables, the link policy, images resolved (`plot.png` is a copied
    /// image, http(s) images become links, others alt text). Beyond not crashing, the HTML must
    /// hold no script, no image other than the copy, and no link with a scheme other than http,
    /// https or mailto.
    public static func markdown(_ bytes: [UInt8]) {
        let html = Markdown.html(from: String(decoding: bytes, as: UTF8.self)) { url in
            if url == "plot.png" { return .image(source: "copied/plot.png") }
            if let scheme = urlScheme(of: url), scheme == "http" || scheme == "https" { return .link(url) }
            return .altText
        }
        let lower = html.lowercased()
        precondition(!lower.contains("<script"), "a script element in rendered Markdown")
        for source in lower.components(separatedBy: "<img src=\"").dropFirst() {
            precondition(source.hasPrefix("copied/plot.png\""), "an image the resolver did not give")
        }
        for target in lower.components(separatedBy: "href=\"").dropFirst() {
            let url = String(target.prefix { $0 != "\"" })
            if let scheme = urlScheme(of: url) {
                precondition(
                    ["http", "https", "mailto"].contains(scheme), "a \(scheme): link in rendered Markdown")
            }
        }
    }
}
