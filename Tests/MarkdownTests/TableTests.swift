import Markdown
import Testing

/// GitHub's table examples (GFM spec 0.29, examples 198–205) with the HTML the spec gives, and
/// tables where GitHub also finds them.
@Suite struct TableTests {
    @Test func example198() {
        let html = Markdown.html(from: "| foo | bar |\n| --- | --- |\n| baz | bim |\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th>foo</th>
                <th>bar</th>
                </tr>
                </thead>
                <tbody>
                <tr>
                <td>baz</td>
                <td>bim</td>
                </tr>
                </tbody>
                </table>

                """)
    }

    @Test func example199Alignment() {
        let html = Markdown.html(from: "| abc | defghi |\n:-: | -----------:\nbar | baz\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th align="center">abc</th>
                <th align="right">defghi</th>
                </tr>
                </thead>
                <tbody>
                <tr>
                <td align="center">bar</td>
                <td align="right">baz</td>
                </tr>
                </tbody>
                </table>

                """)
    }

    @Test func example200EscapedPipes() {
        let html = Markdown.html(from: "| f\\|oo  |\n| ------ |\n| b `\\|` az |\n| b **\\|** im |\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th>f|oo</th>
                </tr>
                </thead>
                <tbody>
                <tr>
                <td>b <code>|</code> az</td>
                </tr>
                <tr>
                <td>b <strong>|</strong> im</td>
                </tr>
                </tbody>
                </table>

                """)
    }

    @Test func example201BlockQuoteEndsTable() {
        let html = Markdown.html(from: "| abc | def |\n| --- | --- |\n| bar | baz |\n> bar\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th>abc</th>
                <th>def</th>
                </tr>
                </thead>
                <tbody>
                <tr>
                <td>bar</td>
                <td>baz</td>
                </tr>
                </tbody>
                </table>
                <blockquote>
                <p>bar</p>
                </blockquote>

                """)
    }

    @Test func example202BlankLineEndsTable() {
        let html = Markdown.html(from: "| abc | def |\n| --- | --- |\n| bar | baz |\nbar\n\nbar\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th>abc</th>
                <th>def</th>
                </tr>
                </thead>
                <tbody>
                <tr>
                <td>bar</td>
                <td>baz</td>
                </tr>
                <tr>
                <td>bar</td>
                <td></td>
                </tr>
                </tbody>
                </table>
                <p>bar</p>

                """)
    }

    @Test func example203HeaderMustMatchDelimiterRow() {
        let html = Markdown.html(from: "| abc | def |\n| --- |\n| bar |\n")
        #expect(html == "<p>| abc | def |\n| --- |\n| bar |</p>\n")
    }

    @Test func example204RowsPaddedAndCut() {
        let html = Markdown.html(from: "| abc | def |\n| --- | --- |\n| bar |\n| bar | baz | boo |\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th>abc</th>
                <th>def</th>
                </tr>
                </thead>
                <tbody>
                <tr>
                <td>bar</td>
                <td></td>
                </tr>
                <tr>
                <td>bar</td>
                <td>baz</td>
                </tr>
                </tbody>
                </table>

                """)
    }

    @Test func example205HeaderOnly() {
        let html = Markdown.html(from: "| abc | def |\n| --- | --- |\n")
        #expect(
            html
                == """
                <table>
                <thead>
                <tr>
                <th>abc</th>
                <th>def</th>
                </tr>
                </thead>
                </table>

                """)
    }

    @Test func inlineFormattingInCells() {
        let html = Markdown.html(
            from: "| metric | value |\n|:--|--:|\n| *r2* | **0.93** |\n| [rmse](docs/rmse.md) | `2.41` |\n")
        #expect(html.contains("<td align=\"left\"><em>r2</em></td>"))
        #expect(html.contains("<td align=\"right\"><strong>0.93</strong></td>"))
        #expect(html.contains("<td align=\"left\"><a href=\"docs/rmse.md\">rmse</a></td>"))
        #expect(html.contains("<td align=\"right\"><code>2.41</code></td>"))
    }

    @Test func blockSyntaxInCellsIsText() {
        let html = Markdown.html(
            from: "| a | b | c |\n|---|---|---|\n| # h | - x | > q |\n| 1. n | _e_ | |\n")
        #expect(html.contains("<td># h</td>\n<td>- x</td>\n<td>&gt; q</td>"))
        #expect(html.contains("<td>1. n</td>\n<td><em>e</em></td>\n<td></td>"))
        #expect(!html.contains("\u{A0}"))
    }

    @Test func paragraphLinesBeforeTheHeaderStayAParagraph() {
        let html = Markdown.html(from: "Results *so far*:\n| a | b |\n|---|---|\n| 1 | 2 |\n")
        #expect(html.hasPrefix("<p>Results <em>so far</em>:</p>\n<table>\n<thead>\n<tr>\n<th>a</th>"))
        #expect(html.contains("<td>1</td>\n<td>2</td>"))
    }

    @Test func tableInsideBlockQuote() {
        let html = Markdown.html(from: "> | a | b |\n> |---|---|\n> | 1 | 2 |\n")
        #expect(html.hasPrefix("<blockquote>\n<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>"))
        #expect(html.contains("<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n</blockquote>"))
    }

    @Test func tableInsideListItem() {
        let html = Markdown.html(from: "- results:\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n- next\n")
        #expect(html.contains("<li>\n<p>results:</p>\n<table>\n<thead>\n<tr>\n<th>a</th>"))
        #expect(html.contains("<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n</li>"))
    }

    @Test func tableInsideListInsideBlockQuote() {
        let html = Markdown.html(from: "> - | a |\n>   | - |\n>   | 1 |\n")
        #expect(html.contains("<blockquote>\n<ul>\n<li>\n<table>\n<thead>\n<tr>\n<th>a</th>"))
        #expect(html.contains("<td>1</td>"))
    }

    @Test func codeBlocksAreNotTables() {
        let html = Markdown.html(from: "```\n| a | b |\n|---|---|\n```\n\n    | a |\n    |---|\n")
        #expect(!html.contains("<table>"))
    }
}

/// Hostile tables: every byte of author text stays escaped by cmark, and size stays bounded.
@Suite struct HostileTableTests {
    @Test func rawHTMLInCellsIsOmitted() {
        let html = Markdown.html(
            from: "| a |\n|---|\n| <script>alert(1)</script> |\n| <img src=x onerror=alert(1)> |\n")
        #expect(html.contains("<table>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("onerror"))
        #expect(html.contains("<!-- raw HTML omitted -->"))
    }

    @Test func dangerousLinksInCellsLoseTheirTarget() {
        let html = Markdown.html(
            from:
                "| a | b | c |\n|---|---|---|\n| [x](javascript:alert(1)) | [y](data:image/png;base64,AA) | [z](vbscript:x) |\n"
        )
        #expect(html.contains("<td><a href=\"\">x</a></td>"))
        #expect(html.contains("<td><a href=\"\">y</a></td>"))
        #expect(!html.contains("javascript:"))
        #expect(!html.contains("data:"))
        #expect(!html.contains("vbscript:"))
    }

    @Test func cellTextIsEscaped() {
        let html = Markdown.html(from: "| \"a\" & 'b' |\n|---|\n| x < y > z |\n")
        #expect(html.contains("<th>&quot;a&quot; &amp; 'b'</th>"))
        #expect(html.contains("<td>x &lt; y &gt; z</td>"))
    }

    @Test func tooManyColumnsStayAParagraph() {
        let columns = Markdown.maximumTableColumns + 1
        let header = "|" + String(repeating: " a |", count: columns)
        let delimiter = "|" + String(repeating: "-|", count: columns)
        let html = Markdown.html(from: header + "\n" + delimiter + "\n")
        #expect(!html.contains("<table>"))
        #expect(html.hasPrefix("<p>| a |"))
    }

    @Test func widestTableStillRenders() {
        let columns = Markdown.maximumTableColumns
        let header = "|" + String(repeating: " a |", count: columns)
        let delimiter = "|" + String(repeating: "-|", count: columns)
        let html = Markdown.html(from: header + "\n" + delimiter + "\nx\n")
        #expect(html.components(separatedBy: "<th>a</th>").count == columns + 1)
        #expect(html.components(separatedBy: "<td>").count == columns + 1)
    }

    @Test func paddingBlowUpIsBounded() {
        // 1,000 columns and 200 one-cell rows would pad to 201,000 cells: over the budget, so
        // the paragraph stays text (linear in the input) rather than a table quadratic in it.
        let columns = Markdown.maximumTableColumns
        let header = "|" + String(repeating: "a|", count: columns)
        let delimiter = "|" + String(repeating: "-|", count: columns)
        let body = String(repeating: "x\n", count: 200)
        let html = Markdown.html(from: header + "\n" + delimiter + "\n" + body)
        #expect(!html.contains("<table>"))
        #expect(html.utf8.count < 3 * (header.utf8.count * 2 + body.utf8.count))
    }

    @Test func unbalancedRowsAndStrayPipes() {
        let html = Markdown.html(from: "|a|b|\n|-|-|\n|\n||||||\n\\|\n| x \\\\| y |\n")
        #expect(html.contains("<table>"))
        #expect(html.components(separatedBy: "<tr>").count == 6)
        #expect(html.contains("<td>|</td>"))
        #expect(html.contains("<td>x \\</td>\n<td>y</td>"))
    }
}
