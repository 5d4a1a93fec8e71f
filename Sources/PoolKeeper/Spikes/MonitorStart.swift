import Foundation
import PostgresNIO

/// What a ``SpikeMonitor`` loads at start, in one snapshot: the rules, the
/// recent history, the latest spike alert of each pool, and the cursor after
/// that history.
struct MonitorStart: Sendable {
    /// Every pool's rule in force; nil rule for values the detector refuses.
    var rules: [PoolID: (rule: SpikeRule, enabled: Bool)]
    /// Rows recorded within 2S + B (of their pool's rule) before `now`, in
    /// (transaction, id) order: the feed order, up to transactions that
    /// committed out of order.
    var history: [SpikeDetector.Row]
    /// τ of the latest spike alert of each pool with one.
    var lastSpikes: [PoolID: Int64]
    /// The snapshot's time, floored to the second.
    var now: Int64
    /// The transaction feed right after the history.
    var cursor: FeedCursor

    /// History can be large: loading it gets a minute.
    static let loadTimeout: Duration = .seconds(60)

    static func load(_ database: DedicatedConnection) async throws -> MonitorStart {
        try await database.run("loading history", timeout: loadTimeout) { connection in
            let logger = connection.logger
            _ = try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let start = try await read(connection)
                _ = try await connection.query("COMMIT", logger: logger)
                return start
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Every pool's rule in force now.
    static func rules(_ database: DedicatedConnection) async throws -> [PoolID: (rule: SpikeRule, enabled: Bool)] {
        try decodeRules(try await database.rows(rulesQuery))
    }

    private static func read(_ connection: PostgresConnection) async throws -> MonitorStart {
        let logger = connection.logger
        let (cursor, now) = try await connection.query(
            "SELECT poolkeeper.feed_cursor(), floor(extract(epoch FROM now()))::bigint", logger: logger
        ).collect()[0].decode((String, Int64).self)
        let rules = try decodeRules(try await connection.query(rulesQuery, logger: logger).collect())
        // Each result is one row of JSON: see FeedPage for why.
        let history = try FeedPage.decode([[Int64]].self, try await connection.query("""
            SELECT coalesce(json_agg(json_build_array(t.pool_id, t.id, floor(extract(epoch FROM t.recorded_at))::bigint)
                                     ORDER BY t.xact_id, t.id), '[]')::text
              FROM poolkeeper.effective_alert_rules r
              JOIN poolkeeper.transactions t
                ON t.pool_id = r.pool_id
               AND t.recorded_at >= to_timestamp(\(now)) - 2 * r.spike_short_window - r.spike_baseline_window
            """, logger: logger).collect()).map { triple in
            SpikeDetector.Row(pool: PoolID(rawValue: triple[0]), transaction: TransactionID(rawValue: triple[1]), second: triple[2])
        }
        let lastSpikes = try FeedPage.decode([[Int64]].self, try await connection.query("""
            SELECT coalesce(json_agg(json_build_array(pool_id, second)), '[]')::text
              FROM (SELECT DISTINCT ON (pool_id) pool_id, (details->>'second')::bigint AS second
                      FROM poolkeeper.alerts
                     WHERE kind = 'spike' AND details->>'second' ~ '^[0-9]{1,15}$' AND raised_at >= now() - interval '3 days'
                     ORDER BY pool_id, id DESC) latest
            """, logger: logger).collect()).map { ($0[0], $0[1]) }
        return MonitorStart(rules: rules, history: history,
                            lastSpikes: Dictionary(uniqueKeysWithValues: lastSpikes.map { (PoolID(rawValue: $0.0), $0.1) }),
                            now: now, cursor: FeedCursor(cursor))
    }

    private static let rulesQuery: PostgresQuery = """
        SELECT coalesce(json_agg(json_build_object(
                   'pool', pool_id, 'enabled', enabled, 'short', extract(epoch FROM spike_short_window)::bigint,
                   'baseline', extract(epoch FROM spike_baseline_window)::bigint, 'factor', spike_factor::text,
                   'min_count', spike_min_count)), '[]')::text
          FROM poolkeeper.effective_alert_rules
        """

    private static func decodeRules(_ rows: [PostgresRow]) throws -> [PoolID: (rule: SpikeRule, enabled: Bool)] {
        struct Record: Decodable { let pool: Int64, enabled: Bool, short: Int64, baseline: Int64, factor: String, min_count: Int64 }
        var rules: [PoolID: (rule: SpikeRule, enabled: Bool)] = [:]
        for record in try FeedPage.decode([Record].self, rows) {
            // The table's checks keep these in range; a rule the detector refuses is left out (built-in applies).
            if let factor = Decimal(string: record.factor, locale: Locale(identifier: "en_US_POSIX")),
               let rule = try? SpikeRule(shortWindow: record.short, baselineWindow: record.baseline, factor: factor,
                                         minCount: record.min_count) {
                rules[PoolID(rawValue: record.pool)] = (rule, record.enabled)
            }
        }
        return rules
    }
}

/// The rules a monitor has applied, and when it read them.
struct RuleBook {
    private var applied: [PoolID: (rule: SpikeRule, enabled: Bool)] = [:]
    private var readAt = ContinuousClock.now

    func knows(_ pool: PoolID) -> Bool { applied[pool] != nil }

    func isStale(every interval: Duration) -> Bool { ContinuousClock.now - readAt >= interval }

    /// After a failed read: try again after the next interval.
    mutating func postpone() { readAt = .now }

    /// Gives the detector every rule that changed, and logs the changes.
    mutating func apply(_ rules: [PoolID: (rule: SpikeRule, enabled: Bool)], to detector: inout SpikeDetector, logger: Logger) {
        readAt = .now
        for (pool, new) in rules {
            let old = applied[pool]
            guard old?.rule != new.rule || old?.enabled != new.enabled else { continue }
            detector.setRule(new.rule, enabled: new.enabled, for: pool)
            if old != nil {
                logger.info("the spike rule of a pool changed", metadata: [
                    "pool": "\(pool)", "short window": "\(new.rule.shortWindow)", "baseline window": "\(new.rule.baselineWindow)",
                    "factor": "\(new.rule.factor)", "min count": "\(new.rule.minCount)", "enabled": "\(new.enabled)"])
            }
        }
        applied = rules
    }
}
