import Learning

/// The JSON bodies the server writes, built as text so that every double is written in its
/// shortest round-trip form (Swift's `description`, what `modelgate predict` prints): a client
/// parsing the number gets the very double the model computed.
struct JSONText {
    private(set) var text = ""

    init(capacity: Int = 256) { text.reserveCapacity(capacity) }

    mutating func raw(_ fragment: String) { text += fragment }

    /// A number; null for a non-finite value, which JSON cannot carry.
    mutating func number(_ value: Double) {
        text += value.isFinite ? value.description : "null"
    }

    /// A quoted string with JSON's escapes.
    mutating func string(_ value: String) {
        text += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    /// `{"error": message}`.
    static func error(_ message: String) -> String {
        var json = JSONText()
        json.raw("{\"error\":")
        json.string(message)
        json.raw("}")
        return json.text
    }
}

/// Predictions for a batch, and how each protocol writes them.
struct BatchPrediction {
    let model: ServedModel
    let rows: Int
    /// One value per row: the regression value, the class index or the cluster index.
    let values: [Double]
    /// Logistic regression: `rows × classes` probabilities.
    let probabilities: [Double]

    init(model: ServedModel, batch: InferenceBatch) {
        self.model = model
        rows = batch.rows
        var values: [Double] = []
        var probabilities: [Double] = []
        model.predictor.predict(rows: batch.values, values: &values, probabilities: &probabilities)
        self.values = values
        self.probabilities = probabilities
    }

    /// Class labels as numbers when every label is one (then `predict` is FP64), else nil (BYTES).
    private var numericLabels: [Double]? {
        let labels = model.predictor.classes.map { Double($0) }
        return labels.allSatisfy { $0?.isFinite == true } ? labels.compactMap { $0 } : nil
    }

    /// Appends one row's prediction as `modelgate predict` states it: the value, the class label
    /// (a number when every label is one, else a string), or the cluster as an integer.
    private func appendPrediction(_ row: Int, to json: inout JSONText, labels: [Double]?) {
        let value = values[row]
        switch model.predictor.kind {
        case LogisticRegressionTrainer.kind:
            let index = Int(value)
            if let labels { json.number(labels[index]) } else { json.string(model.predictor.classes[index]) }
        case KMeansTrainer.kind: json.raw(String(Int(value)))
        default: json.number(value)
        }
    }

    /// The v2 response: `predict` `[N]`, and `probabilities` `[N, C]` for a classifier.
    func v2Body(id: String?) -> String {
        var json = JSONText(capacity: 128 + rows * 24)
        json.raw("{\"model_name\":")
        json.string(model.name)
        json.raw(",\"model_version\":")
        json.string(model.version)
        if let id {
            json.raw(",\"id\":")
            json.string(id)
        }
        let labels = numericLabels
        let datatype: String
        switch model.predictor.kind {
        case LogisticRegressionTrainer.kind: datatype = labels == nil ? "BYTES" : "FP64"
        case KMeansTrainer.kind: datatype = "INT64"
        default: datatype = "FP64"
        }
        json.raw(
            ",\"outputs\":[{\"name\":\"predict\",\"datatype\":\"\(datatype)\",\"shape\":[\(rows)],\"data\":[")
        for row in 0..<rows {
            if row > 0 { json.raw(",") }
            appendPrediction(row, to: &json, labels: labels)
        }
        json.raw("]}")
        let classes = model.predictor.probabilityCount
        if classes > 0 {
            json.raw(
                ",{\"name\":\"probabilities\",\"datatype\":\"FP64\",\"shape\":[\(rows),\(classes)],\"data\":["
            )
            for (index, probability) in probabilities.enumerated() {
                if index > 0 { json.raw(",") }
                json.number(probability)
            }
            json.raw("]}")
        }
        json.raw("]}")
        return json.text
    }

    /// The v1 response: `{"predictions": [...]}`, one per row.
    func v1Body() -> String {
        var json = JSONText(capacity: 32 + rows * 24)
        json.raw("{\"predictions\":[")
        let labels = numericLabels
        for row in 0..<rows {
            if row > 0 { json.raw(",") }
            appendPrediction(row, to: &json, labels: labels)
        }
        json.raw("]}")
        return json.text
    }
}
