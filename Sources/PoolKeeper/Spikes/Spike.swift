import Foundation

/// A spike the detector found: the row that opened an episode, and the
/// counts that made it spike.
public struct Spike: Hashable, Sendable {
    public var pool: PoolID
    /// The row that opened the episode.
    public var transaction: TransactionID
    /// τ: that row's `recorded_at`, floored to the second (seconds since 1970).
    public var second: Int64
    /// Rows in the short window (τ − S, τ].
    public var nShort: Int64
    /// Rows in the baseline window (τ − S − B, τ − S].
    public var nBase: Int64
    /// The rule that was applied.
    public var rule: SpikeRule
    /// Episodes of the pool that opened earlier in the same second (almost always 0).
    public var earlierEpisodesInSecond: Int

    public init(pool: PoolID, transaction: TransactionID, second: Int64, nShort: Int64, nBase: Int64, rule: SpikeRule,
                earlierEpisodesInSecond: Int = 0) {
        self.pool = pool
        self.transaction = transaction
        self.second = second
        self.nShort = nShort
        self.nBase = nBase
        self.rule = rule
        self.earlierEpisodesInSecond = earlierEpisodesInSecond
    }

    /// The short window's rate over the baseline's, (nShort / S) / (max(nBase, 1) / B), to six decimals.
    public var ratio: Decimal { rule.ratio(nShort: nShort, nBase: nBase) }

    /// The key `raise_alert` deduplicates on: the pool, the second its
    /// episode opened and, for a second episode in that second, its number
    /// (`spike:7:1795442402`, `spike:7:1795442402:2`). Monitors that see the
    /// same rows open an episode on the same row, so any number of them raise it once.
    public var dedupeKey: String {
        let (number, overflow) = earlierEpisodesInSecond.addingReportingOverflow(1)
        return earlierEpisodesInSecond == 0 ? "spike:\(pool.rawValue):\(second)" : "spike:\(pool.rawValue):\(second):\(overflow ? Int.max : number)"
    }

    /// The short window as times: rows recorded at or after `start` and before `end`.
    public var shortWindow: (start: Date, end: Date) {
        (Self.date(second, 1 - rule.shortWindow), Self.date(second, 1))
    }

    /// The baseline window as times: rows recorded at or after `start` and before `end`.
    public var baselineWindow: (start: Date, end: Date) {
        (Self.date(second, 1 - rule.shortWindow - rule.baselineWindow), Self.date(second, 1 - rule.shortWindow))
    }

    /// In floating point, so that a window of any second (even Int64.max) has times.
    private static func date(_ second: Int64, _ offset: Int64 = 0) -> Date {
        Date(timeIntervalSince1970: TimeInterval(second) + TimeInterval(offset))
    }
}
