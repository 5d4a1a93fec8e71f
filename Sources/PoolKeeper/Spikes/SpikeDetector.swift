/// Finds spikes in the number of a pool's ledger rows: a pure, deterministic
/// value with no clock and no I/O. Feed it every ledger row, in the order the
/// rows arrive, with the time of each floored to the second; it answers with
/// a ``Spike`` for the row that opens an episode.
///
/// For a row e of pool p at second τ, under p's rule (S, B, F, M), counting
/// p's rows that have arrived so far, e included:
/// - nShort = rows at seconds in (τ − S, τ], nBase = rows in (τ − S − B, τ − S];
/// - e is spiking when nShort ≥ M and nShort × B ≥ F × max(nBase, 1) × S.
///
/// Episodes: an open episode first closes when e is not spiking, or when
/// τ ≥ (second of its last spiking row) + S. Then, if e is spiking and no
/// episode is open, e raises a spike and opens one; if e is spiking, the
/// episode's last spiking second becomes τ.
///
/// Operations: a row with the same ``Row/operation`` as the row of its pool
/// that arrived just before it is neither counted nor evaluated. The rows of
/// one distribution are written in one database transaction, and the feed
/// hands out a transaction's rows together, so a distribution to 200
/// members counts as one event, not as a spike.
///
/// Rows may arrive out of time order by up to S seconds (commit order is not
/// `recorded_at` order) and are counted exactly as defined. A row more than S
/// behind its pool's newest row is counted for later windows while it is
/// within 2S + B of the newest, but is not itself evaluated (``lateRows``).
///
/// Cost: O(1) amortized for a row in time order (the live feed's rows come
/// within a second or two of order); a row d seconds late costs O(d) more.
/// Memory: per pool, one bucket per second with rows within 2S + B of its
/// newest row, never more than 2S + B buckets, whatever the number of rows.
public struct SpikeDetector: Sendable {
    /// One ledger row as the detector sees it.
    public struct Row: Hashable, Sendable {
        public var pool: PoolID
        public var transaction: TransactionID
        /// `recorded_at` floored to the second, in seconds since 1970.
        public var second: Int64
        /// The fund operation (a distribution) that wrote the row, if any.
        public var operation: OperationID?

        /// The seconds a `timestamptz` can have (4713 BC to 294276 AD); the
        /// detector ignores a row outside them, which keeps its arithmetic
        /// far from overflowing.
        public static let possibleSeconds = Int64(PoolKeeperClient.representableSeconds.lowerBound)
            ... Int64(PoolKeeperClient.representableSeconds.upperBound)

        public init(pool: PoolID, transaction: TransactionID, second: Int64, operation: OperationID? = nil) {
            self.pool = pool
            self.transaction = transaction
            self.second = second
            self.operation = operation
        }
    }

    /// The rule of pools without one of their own.
    public var defaultRule: SpikeRule
    private var pools: [PoolID: PoolState] = [:]
    /// Rows that arrived more than S behind their pool's newest row.
    public private(set) var lateRows = 0

    public init(defaultRule: SpikeRule = .builtIn) {
        self.defaultRule = defaultRule
    }

    /// Sets the rule of `pool`; nil makes it follow ``defaultRule``. A
    /// disabled pool's rows are counted (so that it has a baseline when it is
    /// enabled again) but raise nothing. Counts kept so far stay: a narrower
    /// rule is exact at once, a wider one once its windows have passed.
    public mutating func setRule(_ rule: SpikeRule?, enabled: Bool = true, for pool: PoolID) {
        pools[pool, default: PoolState()].rule = rule
        pools[pool, default: PoolState()].enabled = enabled
    }

    /// The rule applied to `pool`.
    public func rule(for pool: PoolID) -> SpikeRule {
        pools[pool]?.rule ?? defaultRule
    }

    /// Counts `row` and evaluates it; returns the spike it raises, if any.
    /// A row whose second no PostgreSQL time has (``Row/possibleSeconds``)
    /// is ignored: it could not have been recorded.
    public mutating func observe(_ row: Row) -> Spike? {
        guard Row.possibleSeconds.contains(row.second) else { return nil }
        let outcome = pools[row.pool, default: PoolState()].observe(row, defaultRule: defaultRule, evaluate: true)
        if outcome.late { lateRows += 1 }
        return outcome.spike
    }

    /// Counts `row` without evaluating it: for history whose own baseline
    /// lies before the history loaded (a monitor warming up).
    public mutating func count(_ row: Row) {
        guard Row.possibleSeconds.contains(row.second) else { return }
        _ = pools[row.pool, default: PoolState()].observe(row, defaultRule: defaultRule, evaluate: false)
    }

    /// Opens an episode of `pool` whose last spiking row was at `second`, as
    /// if this detector had raised it: for a caller that knows of an episode
    /// from elsewhere (``SpikeMonitor`` rebuilds recent episodes from history instead).
    public mutating func resumeEpisode(of pool: PoolID, lastSpikingSecond second: Int64) {
        guard Row.possibleSeconds.contains(second) else { return }
        pools[pool, default: PoolState()].lastSpiking = second
    }

    /// Whether `pool` has an open episode.
    public func hasOpenEpisode(_ pool: PoolID) -> Bool {
        pools[pool]?.lastSpiking != nil
    }

    /// The seconds with rows the detector keeps for `pool`: its memory.
    public func liveBuckets(of pool: PoolID) -> Int {
        pools[pool]?.activity.liveBuckets ?? 0
    }
}

/// What the detector keeps per pool.
private struct PoolState: Sendable {
    var rule: SpikeRule?
    var enabled = true
    var activity = PoolActivity()
    /// The second of the open episode's last spiking row; nil when none is open.
    var lastSpiking: Int64?
    /// The second the latest episode opened at, and how many opened before it in that second.
    var latestOpening: (second: Int64, earlier: Int)?
    /// The operation of the pool's previous row (nil: it had none).
    var lastOperation: OperationID?

    mutating func observe(_ row: SpikeDetector.Row, defaultRule: SpikeRule, evaluate: Bool) -> (spike: Spike?, late: Bool) {
        // The second and later rows of one operation are the same event.
        defer { lastOperation = row.operation }
        if let operation = row.operation, operation == lastOperation { return (nil, false) }
        let rule = self.rule ?? defaultRule
        let τ = row.second
        activity.advance(to: τ, retention: rule.retention)
        let newest = activity.newest ?? τ
        // No window of a row that is at most S late reaches this far back.
        guard τ > newest - rule.retention else { return (nil, true) }
        activity.count(τ)
        let late = τ < newest - rule.shortWindow
        guard evaluate, enabled, !late else { return (nil, late) }

        let atRow = activity.rows(through: τ, edge: .row)
        let atShort = activity.rows(through: τ - rule.shortWindow, edge: .short)
        let atBaseline = activity.rows(through: τ - rule.shortWindow - rule.baselineWindow, edge: .baseline)
        let nShort = atRow - atShort, nBase = atShort - atBaseline
        let spiking = rule.isSpiking(nShort: nShort, nBase: nBase)

        if let last = lastSpiking, !spiking || τ >= last + rule.shortWindow { lastSpiking = nil }
        guard spiking else { return (nil, false) }
        defer { lastSpiking = τ }
        guard lastSpiking == nil else { return (nil, false) }
        // A late row that is not spiking can close an episode, and the next row of the same second open another.
        let earlier = latestOpening.map { $0.second == τ ? $0.earlier + 1 : 0 } ?? 0
        latestOpening = (τ, earlier)
        return (Spike(pool: row.pool, transaction: row.transaction, second: τ, nShort: nShort, nBase: nBase, rule: rule,
                      earlierEpisodesInSecond: earlier), false)
    }
}
