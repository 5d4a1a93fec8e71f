import Foundation

/// When to alert for a pool (or, as the default rule, for every pool without
/// its own). Windows are whole seconds from 1 second to 1 day.
public struct AlertRule: Hashable, Sendable {
    /// A ledger row (not a reversal) above it raises a `large_transaction`
    /// alert; nil turns that off.
    public var largeTransactionThreshold: Decimal?
    public var spikeShortWindow: Duration
    public var spikeBaselineWindow: Duration
    /// A spike is the short window's rate at least this many times the baseline's; above 1.
    public var spikeFactor: Decimal
    /// The fewest rows in the short window that can make a spike; at least 1.
    public var spikeMinCount: Int
    /// False turns every alert of the rule off.
    public var enabled: Bool

    public init(largeTransactionThreshold: Decimal? = nil, spikeShortWindow: Duration = .seconds(60),
                spikeBaselineWindow: Duration = .seconds(3600), spikeFactor: Decimal = 10,
                spikeMinCount: Int = 5, enabled: Bool = true) {
        self.largeTransactionThreshold = largeTransactionThreshold
        self.spikeShortWindow = spikeShortWindow
        self.spikeBaselineWindow = spikeBaselineWindow
        self.spikeFactor = spikeFactor
        self.spikeMinCount = spikeMinCount
        self.enabled = enabled
    }
}

/// The rule in force for a pool, and where it comes from.
public struct EffectiveAlertRule: Hashable, Sendable {
    public enum Source: String, Hashable, Sendable {
        /// The pool's own rule.
        case pool
        /// The default rule, set with a nil pool.
        case `default`
        /// Neither exists: the built-in defaults (no large-transaction alerts).
        case builtIn = "built-in"
    }

    public var poolID: PoolID
    public var source: Source
    public var rule: AlertRule
}
