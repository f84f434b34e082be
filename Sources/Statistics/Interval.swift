/// A two-sided confidence interval [lower, upper].
public struct Interval: Codable, Sendable, Equatable {
    /// The lower end.
    public let lower: Double
    /// The upper end.
    public let upper: Double

    /// An interval from its two ends (given in either order).
    public init(_ lower: Double, _ upper: Double) {
        self.lower = Swift.min(lower, upper)
        self.upper = Swift.max(lower, upper)
    }

    /// Half the distance between the ends.
    public var halfWidth: Double { (upper - lower) / 2 }
}
