import Yams

/// Reads a stage's parameters file (YAML, which includes JSON) into flat dotted names.
package enum ParametersFile {
    /// The largest parameters file flattened.
    static let maxBytes = 8 << 20

    /// name → scalar text; nested mappings become `a.b`, lists `a[0]`. Unreadable files give
    /// nothing, and so do files over `maxBytes` or whose aliases expand past
    /// `YAMLShape.parameters` (an alias bomb would otherwise flatten into billions of names).
    package static func flatten(_ text: String) -> [String: String] {
        guard text.utf8.count <= maxBytes, (try? YAMLShape.parameters.check(text)) != nil,
            let node = try? Yams.compose(yaml: text)
        else { return [:] }
        var values: [String: String] = [:]
        visit(node, prefix: "", into: &values)
        return values
    }

    private static func visit(_ node: Node, prefix: String, into values: inout [String: String]) {
        switch node {
        case .scalar(let scalar):
            values[prefix.isEmpty ? "value" : prefix] = scalar.string
        case .mapping(let mapping):
            for (key, value) in mapping {
                let name = key.string ?? "?"
                visit(value, prefix: prefix.isEmpty ? name : "\(prefix).\(name)", into: &values)
            }
        case .sequence(let sequence):
            for (index, value) in sequence.enumerated() {
                visit(value, prefix: "\(prefix)[\(index)]", into: &values)
            }
        case .alias:
            break
        }
    }
}
