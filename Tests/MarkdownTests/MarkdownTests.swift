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
