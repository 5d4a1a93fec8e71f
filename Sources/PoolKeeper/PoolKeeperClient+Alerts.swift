import Foundation
import PostgresNIO

/// Alert rules and the alert log.
extension PoolKeeperClient {
    /// Sets the alert rule of `pool`, or with nil the default rule for every
    /// pool without its own (`set_alert_rule`). Throws `.invalidArgument` for
    /// a negative threshold, a factor not above 1, a window that is not whole
    /// seconds from 1 s to 1 day, or a min count below 1; `.notFound` for an
    /// unknown pool.
    public func setAlertRule(_ rule: AlertRule, for pool: PoolID?) async throws(PoolKeeperError) {
        try Self.requireNumber(rule.largeTransactionThreshold, "large transaction threshold", code: .invalidArgument)
        try Self.requireNumber(rule.spikeFactor, "spike factor", code: .invalidArgument)
        let short = try Self.wholeSeconds(rule.spikeShortWindow, "spike short window")
        let baseline = try Self.wholeSeconds(rule.spikeBaselineWindow, "spike baseline window")
        guard let minCount = Int32(exactly: rule.spikeMinCount) else {  // the column is an int
            throw PoolKeeperError(code: .invalidArgument, message: "spike min count \(rule.spikeMinCount) is out of range")
        }
        try await execute("""
            SELECT poolkeeper.set_alert_rule(\(pool?.rawValue), \(rule.largeTransactionThreshold),
                       make_interval(secs => \(short)), make_interval(secs => \(baseline)),
                       \(rule.spikeFactor), \(minCount), \(rule.enabled))
            """)
    }

    /// Removes the alert rule of `pool`, or with nil the default rule
    /// (`drop_alert_rule`); returns whether there was one. Throws
    /// `.notFound` for an unknown pool.
    public func dropAlertRule(for pool: PoolID?) async throws(PoolKeeperError) -> Bool {
        try await first("SELECT poolkeeper.drop_alert_rule(\(pool?.rawValue))", committing: true) { try $0.decode(Bool.self) } ?? false
    }

    /// The rule in force for `pool` and where it comes from
    /// (`effective_alert_rules`). Throws `.notFound` for an unknown pool.
    public func alertRule(for pool: PoolID) async throws(PoolKeeperError) -> EffectiveAlertRule {
        let found = try await first("""
            SELECT source, enabled, large_transaction_threshold,
                   extract(epoch FROM spike_short_window)::bigint, extract(epoch FROM spike_baseline_window)::bigint,
                   spike_factor, spike_min_count
              FROM poolkeeper.effective_alert_rules WHERE pool_id = \(pool.rawValue)
            """) { row in
            let (source, enabled, threshold, short, baseline, factor, minCount)
                = try row.decode((String, Bool, Decimal?, Int64, Int64, Decimal, Int32).self)
            let rule = AlertRule(largeTransactionThreshold: threshold, spikeShortWindow: .seconds(short),
                                 spikeBaselineWindow: .seconds(baseline), spikeFactor: factor,
                                 spikeMinCount: Int(minCount), enabled: enabled)
            return EffectiveAlertRule(poolID: pool, source: EffectiveAlertRule.Source(rawValue: source) ?? .pool, rule: rule)
        }
        guard let found else { throw PoolKeeperError.notFound("pool", pool.rawValue) }
        return found
    }

    /// A cursor at the end of the alert feed now: reading after it returns
    /// only alerts that commit from now on (`feed_cursor`).
    public func alertFeedCursor() async throws(PoolKeeperError) -> FeedCursor {
        guard let cursor = try await first("SELECT poolkeeper.feed_cursor()", { try $0.decode(String.self) }) else {
            throw PoolKeeperError(code: .server, message: "feed_cursor() returned no row")
        }
        return FeedCursor(cursor)
    }

    /// Up to `limit` (1 to 10,000) committed alerts after `cursor` (nil: from
    /// the first alert ever), in a stable order, each exactly once along a
    /// chain of cursors, whatever order their transactions committed in
    /// (`alerts_after`). Pass the returned cursor to the next call.
    /// Throws `.invalidCursor` for a cursor of another feed or a malformed one.
    public func alerts(after cursor: FeedCursor?, limit: Int = 1000) async throws(PoolKeeperError) -> AlertBatch {
        try Self.requireText(cursor?.rawValue, "the cursor", code: .invalidCursor)
        let entries = try await perform { () async throws -> [FeedEntry<Alert>] in
            try Self.alertEntries(try await self.rows(Self.alertsQuery(after: cursor, limit: limit)))
        }
        return AlertBatch(alerts: entries.map(\.item), cursor: entries.last?.cursor ?? cursor)
    }

    /// Records an alert (`raise_alert`) and returns its id, or nil when an
    /// alert with `dedupeKey` exists already (then nothing is written or
    /// announced). `details` is a JSON object of at most 8 kB. Throws
    /// `.invalidArgument` for a bad kind, details or key (keys that start
    /// with `large_transaction:` are the database's own), `.notFound` for an
    /// unknown pool or ledger row. Safe to retry: the key makes it idempotent.
    public func raiseAlert(_ kind: Alert.Kind, pool: PoolID, details: String, dedupeKey: String,
                           transaction: TransactionID? = nil) async throws(PoolKeeperError) -> AlertID? {
        try Self.requireJSONObject(details, "details")
        try Self.requireText(dedupeKey, "dedupe key")
        let id = try await first("""
            SELECT poolkeeper.raise_alert(\(kind.rawValue), \(pool.rawValue), \(details)::jsonb, \(dedupeKey), \(transaction?.rawValue))
            """, committing: true) { try $0.decode(Int64?.self) }
        return id.flatMap { $0.map(AlertID.init(rawValue:)) }
    }

    /// The query behind ``alerts(after:limit:)`` and the alert stream: the
    /// whole page as one row of JSON (see ``FeedPage``).
    static func alertsQuery(after cursor: FeedCursor?, limit: Int) -> PostgresQuery {
        // The limit is an int; clamping keeps an out-of-range value out of range for the database to refuse.
        """
        SELECT coalesce(json_agg(json_build_object(
                   'cursor', a.cursor, 'id', a.id, 'kind', a.kind, 'pool_id', a.pool_id,
                   'transaction_id', a.transaction_id, 'details', a.details::text,
                   'raised_at', \(unescaped: FeedPage.microseconds("a.raised_at")), 'dedupe_key', a.dedupe_key)
                 ORDER BY a.ordinality), '[]')::text
          FROM poolkeeper.alerts_after(\(cursor?.rawValue), \(Int32(clamping: limit))) WITH ORDINALITY a
        """
    }

    /// Alerts, each with the cursor after it, from the row of ``alertsQuery(after:limit:)``.
    static func alertEntries(_ rows: [PostgresRow]) throws -> [FeedEntry<Alert>] {
        struct Record: Decodable {
            let cursor: String, id: Int64, kind: String, pool_id: Int64, transaction_id: Int64?
            let details: String, raised_at: Int64, dedupe_key: String
        }
        return try FeedPage.decode([Record].self, rows).map { record in
            guard let kind = Alert.Kind(rawValue: record.kind) else {
                throw PoolKeeperError(code: .server, message: "the alert log holds an alert of unknown kind \(record.kind)")
            }
            return FeedEntry(item: Alert(id: AlertID(rawValue: record.id), kind: kind, poolID: PoolID(rawValue: record.pool_id),
                                         transactionID: record.transaction_id.map(TransactionID.init(rawValue:)),
                                         details: Alert.Details(kind: kind, json: record.details), detailsJSON: record.details,
                                         raisedAt: FeedPage.date(microseconds: record.raised_at), dedupeKey: record.dedupe_key),
                             cursor: FeedCursor(record.cursor))
        }
    }

    /// The whole seconds of a rule window, from 1 s to 1 day (the database
    /// checks the same range; this keeps huge values from overflowing `make_interval`).
    static func wholeSeconds(_ window: Duration, _ what: String) throws(PoolKeeperError) -> Int64 {
        let (seconds, attoseconds) = window.components
        guard attoseconds == 0, (1...86_400).contains(seconds) else {
            throw PoolKeeperError(code: .invalidArgument, message: "\(what) must be whole seconds from 1 s to 1 day, not \(window)")
        }
        return seconds
    }
}
