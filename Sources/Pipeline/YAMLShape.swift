import CYaml

/// A check of a YAML text's shape, made on libyaml's event stream before any tree is built.
///
/// YAML aliases let a few hundred bytes name billions of nodes ("billion laughs"), and Yams
/// hashes every mapping key while it composes the tree, so an alias bomb used as a key spends
/// the age of the universe inside `Yams.compose`; very deep nesting exhausts the stack of any
/// recursive walk. Neither can be refused after composing, so this check reads the events
/// libyaml produces one at a time (constant memory besides one entry per anchor and per open
/// collection) and stops at the first event that breaks a limit:
///
/// - the number of nodes the document holds once every alias is replaced by what it names
///   (an alias counts as the size of its anchor's node, remembered per anchor, so the count
///   costs one step per event whatever the expansion);
/// - the nesting depth, likewise counted through aliases;
/// - an alias or a collection as a mapping key (no config needs one, and Yams hashes keys).
///
/// It uses the libyaml Yams itself is built on (Yams' `CYaml` module), so both read the same
/// events; a syntax error is left for Yams to report as it always has. The guarantee: a text
/// that passes composes into at most `maxNodes` nodes nested at most `maxDepth` deep, and the
/// check itself takes time linear in the text's length.
package struct YAMLShape {
    /// The most nodes a document may hold with its aliases expanded.
    package var maxNodes: Int
    /// The deepest nesting of collections, aliases expanded.
    package var maxDepth: Int

    /// Limits for `modelgate.yml`: ten thousand values, 64 levels (a generous config has a few hundred and 5).
    package static let config = YAMLShape(maxNodes: 10_000, maxDepth: 64)
    /// Limits for a stage's parameters file, which may be a larger grid of values.
    package static let parameters = YAMLShape(maxNodes: 100_000, maxDepth: 64)

    /// A limit the text breaks, and the 1-based line and column of the event that broke it.
    package struct Violation: Error, Equatable {
        /// Which limit.
        package enum Kind: Equatable {
            /// More than this many nodes with aliases expanded.
            case tooManyNodes(Int)
            /// Nested deeper than this.
            case tooDeep(Int)
            /// An alias (`*name`) used as a mapping key.
            case aliasKey
            /// A sequence or mapping used as a mapping key (`? [a, b]`).
            case collectionKey
        }

        /// Which limit.
        package let kind: Kind
        /// Line, from 1.
        package let line: Int
        /// Column, from 1.
        package let column: Int

        /// Makes a violation.
        package init(kind: Kind, line: Int, column: Int) {
            self.kind = kind
            self.line = line
            self.column = column
        }
    }

    /// Makes a check with these limits.
    package init(maxNodes: Int, maxDepth: Int) {
        self.maxNodes = maxNodes
        self.maxDepth = maxDepth
    }

    /// The size and height of a finished node, remembered for the aliases naming it.
    private struct Extent {
        var nodes: Int
        var height: Int
    }

    /// An open sequence or mapping.
    private struct Frame {
        let isMapping: Bool
        let anchor: String?
        /// The document's node count before this collection started.
        let countBefore: Int
        var height = 0
        /// For mappings: whether the next node is a key.
        var expectingKey = true
    }

    /// Throws the first `Violation` in `text`; returns quietly when it has none or stops being
    /// YAML (Yams then reports the syntax error).
    package func check(_ text: String) throws(Violation) {
        var text = text
        if let violation = text.withUTF8(firstViolation) { throw violation }
    }

    private func firstViolation(_ bytes: UnsafeBufferPointer<UInt8>) -> Violation? {
        var parser = yaml_parser_t()
        guard !bytes.isEmpty, yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
        yaml_parser_set_input_string(&parser, bytes.baseAddress, bytes.count)
        var anchors: [String: Extent] = [:]
        var frames: [Frame] = []
        var count = 0
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
            defer { yaml_event_delete(&event) }
            let violation = { (kind: Violation.Kind) in
                Violation(
                    kind: kind, line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1
                )
            }
            // The node this event completes (a scalar or an alias), or nil.
            var finished: Extent?
            switch event.type {
            case YAML_STREAM_END_EVENT:
                return nil
            case YAML_SCALAR_EVENT:
                finished = Extent(nodes: 1, height: 0)
                if let anchor = Self.name(event.data.scalar.anchor) { anchors[anchor] = finished }
            case YAML_ALIAS_EVENT:
                if frames.last?.isMapping == true, frames.last?.expectingKey == true {
                    return violation(.aliasKey)
                }
                // An alias to an anchor not yet finished is an error Yams reports; count it as one node.
                finished =
                    Self.name(event.data.alias.anchor).flatMap { anchors[$0] } ?? Extent(nodes: 1, height: 0)
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                if frames.last?.isMapping == true, frames.last?.expectingKey == true {
                    return violation(.collectionKey)
                }
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor =
                    isMapping
                    ? Self.name(event.data.mapping_start.anchor) : Self.name(event.data.sequence_start.anchor)
                frames.append(Frame(isMapping: isMapping, anchor: anchor, countBefore: count))
                count += 1
                if count > maxNodes { return violation(.tooManyNodes(maxNodes)) }
                if frames.count > maxDepth { return violation(.tooDeep(maxDepth)) }
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = frames.popLast() else { return nil }
                let extent = Extent(nodes: count - frame.countBefore, height: frame.height + 1)
                if let anchor = frame.anchor { anchors[anchor] = extent }
                // Counted already as its events went by; only the parent's bookkeeping is left.
                Self.close(extent, in: &frames)
            default:
                break  // stream and document boundaries hold no nodes
            }
            guard let finished else { continue }
            count += finished.nodes
            if count > maxNodes { return violation(.tooManyNodes(maxNodes)) }
            if frames.count + finished.height > maxDepth { return violation(.tooDeep(maxDepth)) }
            Self.close(finished, in: &frames)
        }
    }

    /// Records a finished child in its parent: its height, and whether a key or a value comes next.
    private static func close(_ child: Extent, in frames: inout [Frame]) {
        guard !frames.isEmpty else { return }
        frames[frames.count - 1].height = max(frames[frames.count - 1].height, child.height)
        if frames[frames.count - 1].isMapping { frames[frames.count - 1].expectingKey.toggle() }
    }

    private static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
