#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Rows to predict, decoded from a request: feature values in the model's order.
public struct InferenceBatch: Sendable, Equatable {
    /// Number of rows.
    public var rows: Int
    /// The values, row-major: `rows × features.count`.
    public var values: [Double]
    /// The request's `id` (Open Inference Protocol v2), echoed in the response.
    public var id: String?
}

/// What requests are decoded against: the model's feature names and the batch limit.
public struct RequestSchema: Sendable {
    /// Feature names in the model's order.
    public var features: [String]
    /// The most rows one request may carry.
    public var maxRows: Int

    /// A schema; see the properties.
    public init(features: [String], maxRows: Int) {
        self.features = features
        self.maxRows = maxRows
    }

    /// "a, b, c", shortened after ten names.
    var featureList: String {
        let shown = features.prefix(10).joined(separator: ", ")
        return features.count > 10 ? "\(shown), … (\(features.count) in all)" : shown
    }
}

/// Decodes the bodies of `POST /v2/models/{name}/infer` (Open Inference Protocol v2) and
/// `POST /v1/models/{name}:predict` (KServe v1) into a batch of rows.
///
/// Every value must be a finite JSON number; every row must have one value per model feature,
/// given by position or by feature name; a batch has 1 to `maxRows` rows. Anything else is a
/// `RequestProblem` (400) naming the input, the element and what was expected. The body is parsed
/// as a whole by Foundation's `JSONDecoder` after a nesting check (`JSONValue`), so no body
/// crashes or recurses without bound; the plain v1 form is read by `PositionalRows` first, which
/// gives the same doubles, bit for bit, and leaves every other body to that path.
public enum InferenceRequest {
    /// Datatypes whose values arrive as JSON numbers.
    static let numericTypes: Set<String> = [
        "FP64", "FP32", "FP16", "INT64", "INT32", "INT16", "INT8", "UINT64", "UINT32", "UINT16", "UINT8",
    ]

    /// An Open Inference Protocol v2 infer body: one input `[N, F]` of rows, or one input `[N]`
    /// per feature, named by feature.
    public static func decodeV2(_ body: Data, schema: RequestSchema) throws(RequestProblem) -> InferenceBatch
    {
        guard case .object(let top) = try JSONValue.parse(body) else {
            throw .bad("the body must be a JSON object with an \"inputs\" array")
        }
        var id: String?
        if let value = top["id"] {
            guard case .string(let text) = value else { throw .bad("\"id\" must be a string") }
            id = text
        }
        guard case .array(let inputs)? = top["inputs"] else {
            throw .bad("the body must have an \"inputs\" array")
        }
        guard !inputs.isEmpty else { throw .bad("\"inputs\" is empty: send at least one input") }
        guard inputs.count <= max(schema.features.count, 1) else {
            throw .bad("\(inputs.count) inputs, but the model has \(schema.features.count) features")
        }
        let tensors = try inputs.enumerated().map { index, value throws(RequestProblem) in
            try Tensor(value, index: index)
        }
        let width = schema.features.count
        if tensors.count == 1, tensors[0].shape.count == 2 {
            let tensor = tensors[0]
            guard tensor.shape[1] == width else {
                throw .bad(
                    "\(tensor.label) has shape \(tensor.shapeText): the model takes \(width) features (\(schema.featureList)), so send shape [N, \(width)]"
                )
            }
            let rows = try checkedRows(tensor.shape[0], schema: schema)
            let values = try tensor.values(count: rows * width)
            return InferenceBatch(rows: rows, values: values, id: id)
        }
        guard tensors.allSatisfy({ $0.shape.count == 1 }) else {
            throw .bad(
                "each input must have shape [N, \(width)] (one input of rows) or [N] (one input per feature, named by feature)"
            )
        }
        // One input per feature.
        var columns = [[Double]?](repeating: nil, count: width)
        var rows: Int?
        for tensor in tensors {
            guard let column = schema.features.firstIndex(of: tensor.name) else {
                throw .bad(
                    "\(tensor.label) is not a feature of the model; its features are: \(schema.featureList)")
            }
            guard columns[column] == nil else { throw .bad("feature \"\(tensor.name)\" is given twice") }
            let count = try checkedRows(tensor.shape[0], schema: schema)
            if let rows, rows != count {
                throw .bad("\(tensor.label) has \(count) rows, an earlier input has \(rows)")
            }
            rows = count
            columns[column] = try tensor.values(count: count)
        }
        if let missing = columns.firstIndex(where: { $0 == nil }) {
            throw .bad(
                "missing feature \"\(schema.features[missing])\": send one input per feature (\(schema.featureList))"
            )
        }
        let count = rows ?? 0
        var values = [Double](repeating: 0, count: count * width)
        for (column, data) in columns.compactMap({ $0 }).enumerated() {
            for (row, value) in data.enumerated() { values[row * width + column] = value }
        }
        return InferenceBatch(rows: count, values: values, id: id)
    }

    /// A KServe v1 predict body: `{"instances": [[…], …]}` with rows by position, or rows as
    /// objects keyed by feature name. The plain positional form is read straight into doubles
    /// (`PositionalRows`); any other body, and any the plain reader refuses, takes the JSON tree.
    public static func decodeV1(_ body: Data, schema: RequestSchema) throws(RequestProblem) -> InferenceBatch
    {
        let plain = body.withUnsafeBytes {
            PositionalRows.decode($0, width: schema.features.count, maxRows: schema.maxRows)
        }
        if let plain { return InferenceBatch(rows: plain.rows, values: plain.values, id: nil) }
        guard case .object(let top) = try JSONValue.parse(body),
            case .array(let instances)? = top["instances"]
        else {
            throw .bad("the body must be a JSON object with an \"instances\" array")
        }
        let rows = try checkedRows(instances.count, schema: schema)
        let width = schema.features.count
        var values: [Double] = []
        values.reserveCapacity(rows * width)
        for (index, instance) in instances.enumerated() {
            switch instance {
            case .array(let items):
                guard items.count == width else {
                    throw .bad(
                        "instances[\(index)] has \(items.count) values; the model takes \(width) features (\(schema.featureList))"
                    )
                }
                for (position, item) in items.enumerated() {
                    values.append(try number(item, at: "instances[\(index)][\(position)]"))
                }
            case .object(let members):
                for name in members.keys.sorted() where !schema.features.contains(name) {
                    throw .bad(
                        "instances[\(index)] has unknown feature \"\(name)\"; the model's features are: \(schema.featureList)"
                    )
                }
                for name in schema.features {
                    guard let item = members[name] else {
                        throw .bad("instances[\(index)] is missing feature \"\(name)\"")
                    }
                    values.append(try number(item, at: "instances[\(index)].\(name)"))
                }
            case .number where width == 1:
                values.append(try number(instance, at: "instances[\(index)]"))
            default:
                throw .bad(
                    "instances[\(index)] is \(instance.kindDescription); send an array of \(width) numbers or an object keyed by feature name"
                )
            }
        }
        return InferenceBatch(rows: rows, values: values, id: nil)
    }

    /// `count` when it is a batch size the server takes.
    static func checkedRows(_ count: Int, schema: RequestSchema) throws(RequestProblem) -> Int {
        guard count > 0 else { throw .bad("the batch is empty: send at least one row") }
        guard count <= schema.maxRows else {
            throw RequestProblem(
                413, "the batch has \(count) rows; this server takes at most \(schema.maxRows) per request")
        }
        return count
    }

    /// A finite number, or the 400 naming `place`.
    static func number(_ value: JSONValue, at place: String) throws(RequestProblem) -> Double {
        guard case .number(let number) = value else {
            throw .bad("\(place) is \(value.kindDescription), not a number")
        }
        guard number.isFinite else { throw .bad("\(place) is not a finite number") }
        return number
    }
}

/// One input of a v2 request, checked: name, shape and datatype, data still as JSON.
struct Tensor {
    let name: String
    let shape: [Int]
    let data: JSONValue
    let index: Int

    /// `input "x" (inputs[0])`, for messages.
    var label: String { "input \"\(name)\" (inputs[\(index)])" }
    /// `[2, 3]`.
    var shapeText: String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

    init(_ value: JSONValue, index: Int) throws(RequestProblem) {
        self.index = index
        guard case .object(let members) = value else {
            throw .bad(
                "inputs[\(index)] is \(value.kindDescription); each input is an object with name, shape, datatype and data"
            )
        }
        guard case .string(let name)? = members["name"] else {
            throw .bad("inputs[\(index)] has no \"name\" string")
        }
        self.name = name
        guard case .string(let datatype)? = members["datatype"] else {
            throw .bad("input \"\(name)\" (inputs[\(index)]) has no \"datatype\" string; send \"FP64\"")
        }
        guard InferenceRequest.numericTypes.contains(datatype) else {
            throw .bad(
                "input \"\(name)\" (inputs[\(index)]) has datatype \(datatype); this model takes numbers: FP64, FP32, INT64 or INT32"
            )
        }
        guard case .array(let dimensions)? = members["shape"], (1...2).contains(dimensions.count) else {
            throw .bad("input \"\(name)\" (inputs[\(index)]) needs a \"shape\" of [N, F] or [N]")
        }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .number(let size) = dimension, size >= 0, size <= 1e9, size == size.rounded() else {
                throw .bad("input \"\(name)\" (inputs[\(index)]) has a shape that is not whole numbers ≥ 0")
            }
            shape.append(Int(size))
        }
        self.shape = shape
        guard let data = members["data"] else {
            throw .bad("input \"\(name)\" (inputs[\(index)]) has no \"data\"")
        }
        self.data = data
    }

    /// The data flattened in row-major order; exactly `count` finite numbers, or a 400.
    func values(count: Int) throws(RequestProblem) -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(count)
        try flatten(data, into: &values, limit: count)
        guard values.count == count else {
            throw .bad(
                "\(label) has shape \(shapeText), which needs \(count) values; its data has \(values.count)")
        }
        return values
    }

    private func flatten(_ value: JSONValue, into values: inout [Double], limit: Int) throws(RequestProblem) {
        switch value {
        case .array(let items):
            for item in items {
                try flatten(item, into: &values, limit: limit)
            }
        default:
            guard values.count < limit else {
                throw .bad("\(label) has shape \(shapeText), which needs \(limit) values; its data has more")
            }
            values.append(try InferenceRequest.number(value, at: "\(label) data element \(values.count)"))
        }
    }
}
