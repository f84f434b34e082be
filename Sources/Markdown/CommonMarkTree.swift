import CCmark
import Foundation

/// A parsed cmark document that we change in place, then render.
///
/// Ownership at the C boundary: `root` comes from `cmark_parse_document` and is freed with
/// everything under it in `deinit`. Nodes we create are appended into `root`'s tree at once, so
/// the tree owns them; nodes we take out of the tree (replaced paragraphs, emptied text) are
/// freed right after being unlinked. Documents parsed for cell text are freed after their
/// inline nodes have been moved into our cells (all nodes use cmark's default allocator).
final class CommonMarkTree {
    private let root: OpaquePointer
    private let source: [UInt8]
    /// Byte ranges of `source`'s lines, split as cmark splits them (LF, CR LF or CR).
    private let lines: [Range<Int>]
    /// Cells still allowed to be built in this document (see `PipeTable`).
    private var cellBudget = 100_000

    init(_ markdown: String) {
        source = Array(markdown.utf8)
        // cmark_parse_document returns nil only when malloc fails, where cmark itself aborts.
        root = cmark_parse_document(markdown, source.count, CMARK_OPT_DEFAULT)!
        var lines: [Range<Int>] = []
        var start = 0
        var index = 0
        while index < source.count {
            let byte = source[index]
            if byte == 0x0A || byte == 0x0D {
                lines.append(start..<index)
                if byte == 0x0D, index + 1 < source.count, source[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        if start < source.count { lines.append(start..<source.count) }
        self.lines = lines
    }

    deinit { cmark_node_free(root) }

    /// The document as HTML, rendered by cmark in its safe default mode.
    func html() -> String {
        // cmark returns a malloc'd buffer that we own and must free.
        guard let rendered = cmark_render_html(root, CMARK_OPT_DEFAULT) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    // MARK: - Tables

    /// Replaces every paragraph whose lines hold a pipe table with the table (custom block
    /// nodes around cells whose inline nodes cmark parsed); lines before the table's header
    /// stay a paragraph.
    func tables() {
        for paragraph in nodes(ofType: CMARK_NODE_PARAGRAPH) {
            let text = paragraphLines(paragraph)
            guard text.count >= 2, let table = PipeTable.find(in: text, cellBudget: cellBudget) else {
                continue
            }
            guard let node = tableNode(table) else { continue }
            cellBudget -= table.alignments.count * (table.rows.count + 1)
            if table.headerLine > 0 {
                let before = text[..<table.headerLine].joined(separator: "\n")
                for block in parsedBlocks(before) { cmark_node_insert_before(paragraph, block) }
            }
            cmark_node_insert_before(paragraph, node)
            cmark_node_unlink(paragraph)
            cmark_node_free(paragraph)
        }
    }

    /// The paragraph's source lines without the markers of the block quotes and list items
    /// around it. The first line starts at the paragraph's own column; on the others, leading
    /// blanks and one `>` per enclosing block quote are dropped (a lazy line has none).
    private func paragraphLines(_ paragraph: OpaquePointer) -> [Substring] {
        let first = Int(cmark_node_get_start_line(paragraph)) - 1
        let last = Int(cmark_node_get_end_line(paragraph)) - 1
        guard first >= 0, first <= last, last < lines.count else { return [] }
        var quotes = 0
        var parent = cmark_node_parent(paragraph)
        while let node = parent {
            if cmark_node_get_type(node) == CMARK_NODE_BLOCK_QUOTE { quotes += 1 }
            parent = cmark_node_parent(node)
        }
        var result: [Substring] = []
        for number in first...last {
            let range = lines[number]
            var start = range.lowerBound
            if number == first {
                let column = Int(cmark_node_get_start_column(paragraph))
                start = min(range.upperBound, range.lowerBound + max(0, column - 1))
            } else {
                var remaining = quotes
                while start < range.upperBound {
                    let byte = source[start]
                    if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                        start += 1
                    } else if byte == UInt8(ascii: ">"), remaining > 0 {
                        remaining -= 1
                        start += 1
                    } else {
                        break
                    }
                }
            }
            result.append(Substring(String(decoding: source[start..<range.upperBound], as: UTF8.self)))
        }
        // cmark may count a closing blank line into the paragraph.
        while let last = result.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { result.removeLast() }
        return result
    }

    /// The table as custom nodes: `<table>`, `<thead>`/`<tbody>` and `<tr>` blocks around
    /// `<th>`/`<td>` inline nodes, whose children are the cells' inline nodes. Nil when cmark
    /// did not give one paragraph per cell (then the paragraph is left as it is).
    private func tableNode(_ table: PipeTable) -> OpaquePointer? {
        let texts = table.header + table.rows.joined()
        guard let cells = inlineCells(texts) else { return nil }
        let node = custom(CMARK_NODE_CUSTOM_BLOCK, enter: "<table>", exit: "</table>")
        let head = custom(CMARK_NODE_CUSTOM_BLOCK, enter: "<thead>", exit: "</thead>")
        cmark_node_append_child(node, head)
        let columns = table.alignments.count
        for (row, start) in stride(from: 0, to: cells.count, by: columns).enumerated() {
            let tag = row == 0 ? "th" : "td"
            let line = custom(CMARK_NODE_CUSTOM_BLOCK, enter: "<tr>", exit: "</tr>")
            for column in 0..<columns {
                let cell = cells[start + column]
                let attribute: String
                switch table.alignments[column] {
                case .none: attribute = ""
                case .left: attribute = " align=\"left\""
                case .center: attribute = " align=\"center\""
                case .right: attribute = " align=\"right\""
                }
                cmark_node_set_on_enter(cell, "<\(tag)\(attribute)>")
                cmark_node_set_on_exit(cell, "</\(tag)>\n")
                cmark_node_append_child(line, cell)
            }
            if row == 0 {
                cmark_node_append_child(head, line)
            } else {
                if row == 1 {
                    cmark_node_append_child(
                        node, custom(CMARK_NODE_CUSTOM_BLOCK, enter: "<tbody>", exit: "</tbody>"))
                }
                cmark_node_append_child(cmark_node_last_child(node), line)
            }
        }
        return node
    }

    /// One custom inline node per text, holding the inline nodes cmark parsed from it.
    ///
    /// All cells are parsed as one document, one paragraph each. A no-break space before each
    /// text keeps it a paragraph whatever it starts with (`#`, `-`, `>`, `<div>`, `1.`: inline
    /// text in a cell, as on GitHub) while still counting as white space for emphasis; it is
    /// removed from the first text node afterwards.
    private func inlineCells(_ texts: [String]) -> [OpaquePointer]? {
        var joined = ""
        for text in texts { joined += "\u{A0}" + text + "\n\n" }
        guard let document = cmark_parse_document(joined, joined.utf8.count, CMARK_OPT_DEFAULT) else {
            return nil
        }
        defer { cmark_node_free(document) }
        var cells: [OpaquePointer] = []
        cells.reserveCapacity(texts.count)
        var paragraph = cmark_node_first_child(document)
        while let current = paragraph {
            guard cmark_node_get_type(current) == CMARK_NODE_PARAGRAPH, cells.count < texts.count else {
                break
            }
            let cell = custom(CMARK_NODE_CUSTOM_INLINE, enter: "", exit: "")
            if let first = cmark_node_first_child(current), cmark_node_get_type(first) == CMARK_NODE_TEXT,
                let literal = cmark_node_get_literal(first)
            {
                let rest = String(String(cString: literal).dropFirst())
                if rest.isEmpty {
                    cmark_node_unlink(first)
                    cmark_node_free(first)
                } else {
                    cmark_node_set_literal(first, rest)
                }
            }
            while let child = cmark_node_first_child(current) {
                cmark_node_unlink(child)
                cmark_node_append_child(cell, child)
            }
            cells.append(cell)
            paragraph = cmark_node_next(current)
        }
        guard cells.count == texts.count, paragraph == nil else {
            for cell in cells { cmark_node_free(cell) }
            return nil
        }
        return cells
    }

    /// The top-level blocks cmark parses from `markdown`, unlinked from their document.
    private func parsedBlocks(_ markdown: String) -> [OpaquePointer] {
        guard let document = cmark_parse_document(markdown, markdown.utf8.count, CMARK_OPT_DEFAULT) else {
            return []
        }
        defer { cmark_node_free(document) }
        var blocks: [OpaquePointer] = []
        while let block = cmark_node_first_child(document) {
            cmark_node_unlink(block)
            blocks.append(block)
        }
        return blocks
    }

    // MARK: - Links and images

    /// Links keep only http, https, mailto and relative targets; images become what `image`
    /// says.
    func applyURLPolicy(image: (String) -> MarkdownImage) {
        for link in nodes(ofType: CMARK_NODE_LINK) {
            let url = cmark_node_get_url(link).map { String(cString: $0) } ?? ""
            if let scheme = urlScheme(of: url), !["http", "https", "mailto"].contains(scheme) {
                cmark_node_set_url(link, "")
            }
        }
        for node in nodes(ofType: CMARK_NODE_IMAGE) {
            let url = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
            switch image(url) {
            case .image(let source):
                cmark_node_set_url(node, source)
            case .link(let target) where !isInsideLink(node):
                let link = cmark_node_new(CMARK_NODE_LINK)!
                cmark_node_set_url(link, target)
                if cmark_node_first_child(node) == nil {
                    let text = cmark_node_new(CMARK_NODE_TEXT)!
                    cmark_node_set_literal(text, target)
                    cmark_node_append_child(node, text)
                }
                replace(node, with: link)
            case .link, .altText:
                let span = custom(
                    CMARK_NODE_CUSTOM_INLINE, enter: "<span class=\"image-omitted\">[image: ",
                    exit: "]</span>")
                replace(node, with: span)
            }
        }
    }

    /// The URL of every image, in document order.
    func imageURLs() -> [String] {
        nodes(ofType: CMARK_NODE_IMAGE).map { cmark_node_get_url($0).map { String(cString: $0) } ?? "" }
    }

    /// Puts `replacement` where `node` is, moves `node`'s children into it and frees `node`.
    private func replace(_ node: OpaquePointer, with replacement: OpaquePointer) {
        while let child = cmark_node_first_child(node) {
            cmark_node_unlink(child)
            cmark_node_append_child(replacement, child)
        }
        cmark_node_insert_before(node, replacement)
        cmark_node_unlink(node)
        cmark_node_free(node)
    }

    // MARK: - Helpers

    private func isInsideLink(_ node: OpaquePointer) -> Bool {
        var parent = cmark_node_parent(node)
        while let current = parent {
            if cmark_node_get_type(current) == CMARK_NODE_LINK { return true }
            parent = cmark_node_parent(current)
        }
        return false
    }

    /// Every node of `type` in document order, collected before any of them is changed.
    private func nodes(ofType type: cmark_node_type) -> [OpaquePointer] {
        var found: [OpaquePointer] = []
        guard let iterator = cmark_iter_new(root) else { return found }
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) else { continue }
            if cmark_node_get_type(node) == type { found.append(node) }
        }
        return found
    }

    private func custom(_ type: cmark_node_type, enter: String, exit: String) -> OpaquePointer {
        // cmark_node_new returns nil only when malloc fails, where cmark itself aborts.
        let node = cmark_node_new(type)!
        cmark_node_set_on_enter(node, enter)
        cmark_node_set_on_exit(node, exit)
        return node
    }
}
