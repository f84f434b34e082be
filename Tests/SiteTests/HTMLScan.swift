import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The elements of a page, read with XMLParser: the site writes well-formed XHTML-style markup
/// (void elements self-closed), so a page that does not parse is itself a failure.
struct ScannedPage {
    struct Element {
        let name: String
        let attributes: [String: String]
    }

    var elements: [Element] = []
    var text = ""
    var comments: [String] = []

    /// Links (`href`, `src`, `xlink:href`, `action`) of every element.
    var links: [String] {
        elements.flatMap { element in
            element.attributes.filter {
                ["href", "src", "xlink:href", "action", "formaction"].contains($0.key.lowercased())
            }
            .map(\.value)
        }
    }

    static func parse(_ data: Data) throws -> ScannedPage {
        let delegate = Collector()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        parser.shouldResolveExternalEntities = false
        guard parser.parse() else {
            throw ScanError(
                description:
                    "not well-formed: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)"
            )
        }
        return delegate.page
    }

    struct ScanError: Error, CustomStringConvertible { let description: String }

    private final class Collector: NSObject, XMLParserDelegate {
        var page = ScannedPage()
        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            page.elements.append(Element(name: elementName.lowercased(), attributes: attributes))
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { page.text += string }
        func parser(_ parser: XMLParser, foundComment comment: String) { page.comments.append(comment) }
    }
}
