import Markdown
import Testing

@Test func rendersCommonMark() {
    let html = Markdown.html(from: "# Model card\n\nTrained on *housing* data.\n")
    #expect(html == "<h1>Model card</h1>\n<p>Trained on <em>housing</em> data.</p>\n")
}

@Test func dropsRawHTMLAndScriptLinks() {
    let html = Markdown.html(
        from: "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n")
    #expect(!html.contains("<script"))
    #expect(!html.contains("onerror"))
    #expect(!html.contains("javascript:"))
    #expect(html.contains("raw HTML omitted"))
}

@Test func reportsLinkedVersion() {
    let parts = Markdown.libraryVersion.split(separator: ".")
    #expect(parts.count == 3)
    #expect(parts.allSatisfy { Int($0) != nil })
}

@Test func imagesBecomeWhatTheCallerSays() {
    let markdown = "![plot](plot.png) ![pixel](https://tracker.example/p.png) ![*x*](other.svg)\n"
    let html = Markdown.html(from: markdown) { url in
        switch url {
        case "plot.png": .image(source: "report/abc/plot.png")
        case let remote where remote.hasPrefix("https:"): .link(remote)
        default: .altText
        }
    }
    #expect(html.contains("<img src=\"report/abc/plot.png\" alt=\"plot\" />"))
    #expect(html.contains("<a href=\"https://tracker.example/p.png\">pixel</a>"))
    #expect(html.contains("<span class=\"image-omitted\">[image: <em>x</em>]</span>"))
    #expect(!html.contains("src=\"https"))
}

@Test func dataURLsAreNeitherLinksNorImages() {
    let html = Markdown.html(
        from: "[a](data:text/html;base64,PHNjcmlwdD4=) ![b](data:image/png;base64,AAAA)\n"
    ) {
        urlScheme(of: $0) == nil ? .image(source: $0) : .altText
    }
    #expect(!html.contains("data:"))
    #expect(html.contains("<a href=\"\">a</a>"))
}

@Test(arguments: [
    ("https://x", "https"), ("HTTP://x", "http"), ("data:image/png", "data"), ("plot.png", nil),
    ("dir/a:b.png", nil), ("./a:b", nil), ("#top", nil), ("1x:y", nil), ("", nil), ("a+b.c-d:x", "a+b.c-d"),
])
func schemes(url: String, scheme: String?) {
    #expect(urlScheme(of: url) == scheme)
}
