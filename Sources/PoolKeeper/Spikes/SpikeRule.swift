import Foundation

/// The spike part of an alert rule, as ``SpikeDetector`` applies it: windows
/// in whole seconds, the factor kept exact.
///
/// A row at time τ is spiking when `nShort ≥ minCount` and
/// `nShort × baselineWindow ≥ factor × max(nBase, 1) × shortWindow`, where
/// `nShort` counts the pool's rows in (τ − S, τ] and `nBase` those in
/// (τ − S − B, τ − S].
public struct SpikeRule: Hashable, Sendable {
    /// S: the short window, in seconds (1 to 86,400).
    public let shortWindow: Int64
    /// B: the baseline window before it, in seconds (1 to 86,400).
    public let baselineWindow: Int64
    /// F: how many times the baseline rate counts as a spike (above 1, at most 10^6).
    public let factor: Decimal
    /// M: the fewest rows in the short window that can make a spike (1 to 10^6).
    public let minCount: Int64
    /// The factor as `numerator / 10^scale` when both fit in 64 bits, so
    /// that the test of a row needs no decimal arithmetic.
    private let factorNumerator: Int64?
    private let factorScale: Int64

    /// The rule of the built-in alert rule: S = 60 s, B = 3,600 s, F = 10, M = 5.
    public static let builtIn = try! SpikeRule(shortWindow: 60, baselineWindow: 3600, factor: 10, minCount: 5)

    /// Throws `.invalidArgument` for a value outside the ranges the database
    /// allows for `alert_rules`.
    public init(shortWindow: Int64, baselineWindow: Int64, factor: Decimal, minCount: Int64) throws(PoolKeeperError) {
        for (value, what) in [(shortWindow, "short window"), (baselineWindow, "baseline window")]
        where !(1...86_400).contains(value) {
            throw PoolKeeperError(code: .invalidArgument, message: "the spike \(what) must be 1 to 86400 seconds, not \(value)")
        }
        guard !factor.isNaN, factor > 1, factor <= 1_000_000 else {
            throw PoolKeeperError(code: .invalidArgument, message: "the spike factor must be above 1 and at most 1000000, not \(factor)")
        }
        guard (1...1_000_000).contains(minCount) else {
            throw PoolKeeperError(code: .invalidArgument, message: "the spike min count must be 1 to 1000000, not \(minCount)")
        }
        self.shortWindow = shortWindow
        self.baselineWindow = baselineWindow
        self.factor = factor
        self.minCount = minCount
        (factorNumerator, factorScale) = Self.fraction(of: factor)
    }

    /// The spike part of an alert rule. Throws `.invalidArgument` for windows
    /// that are not whole seconds, and as ``init(shortWindow:baselineWindow:factor:minCount:)``.
    public init(_ rule: AlertRule) throws(PoolKeeperError) {
        try self.init(shortWindow: PoolKeeperClient.wholeSeconds(rule.spikeShortWindow, "spike short window"),
                      baselineWindow: PoolKeeperClient.wholeSeconds(rule.spikeBaselineWindow, "spike baseline window"),
                      factor: rule.spikeFactor, minCount: Int64(rule.spikeMinCount))
    }

    /// How far back a pool's rows matter: a row up to S late still needs the
    /// counts of (τ − S − B, τ], so 2S + B seconds behind the newest row.
    var retention: Int64 { 2 * shortWindow + baselineWindow }

    /// Whether a row with these counts is spiking, computed exactly.
    func isSpiking(nShort: Int64, nBase: Int64) -> Bool {
        guard nShort >= minCount else { return false }
        let base = max(nBase, 1)
        // nShort × B × 10^scale ≥ numerator × base × S, in integers when nothing overflows.
        if let numerator = factorNumerator, let scaled = Self.power10(factorScale),
           let lhs = Self.product(nShort, baselineWindow, scaled), let rhs = Self.product(numerator, base, shortWindow) {
            return lhs >= rhs
        }
        return Decimal(nShort) * Decimal(baselineWindow) >= factor * Decimal(base) * Decimal(shortWindow)
    }

    /// The short window's rate over the baseline's: (nShort / S) / (max(nBase, 1) / B),
    /// to six decimals.
    func ratio(nShort: Int64, nBase: Int64) -> Decimal {
        var exact = Decimal(nShort) * Decimal(baselineWindow) / (Decimal(max(nBase, 1)) * Decimal(shortWindow))
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 6, .plain)
        return rounded
    }

    private static func product(_ a: Int64, _ b: Int64, _ c: Int64) -> Int64? {
        let (ab, overflow1) = a.multipliedReportingOverflow(by: b)
        let (abc, overflow2) = ab.multipliedReportingOverflow(by: c)
        return overflow1 || overflow2 ? nil : abc
    }

    private static func power10(_ exponent: Int64) -> Int64? {
        guard (0...18).contains(exponent) else { return nil }
        return (0..<exponent).reduce(1) { product, _ in product * 10 }
    }

    /// `value` as numerator / 10^scale, read from its plain decimal digits;
    /// (nil, 0) when the numerator does not fit in 64 bits.
    private static func fraction(of value: Decimal) -> (Int64?, Int64) {
        let text = NSDecimalNumber(decimal: value).description(withLocale: Locale(identifier: "en_US_POSIX"))
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let numerator = Int64(parts.joined()) else { return (nil, 0) }
        return (numerator, Int64(parts.count == 2 ? parts[1].count : 0))
    }
}
