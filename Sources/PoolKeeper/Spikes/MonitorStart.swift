import Foundation
import PostgresNIO

/// What a ``SpikeMonitor`` loads at start, in one snapshot: the rules, the
/// recent history, the latest spike alert of each pool, and the cursor after
/// that history.
struct MonitorStart: Sendable {
    /// Where a pool's history starts, and its latest spike alert.
    struct Bounds: Sendable {
        /// The first second loaded: 2S + B before now, or before the latest
        /// alert when that is within the last hour.
        var start: Int64
        /// τ of the pool's latest spike alert (of the last hour), if any.
        var lastAlert: Int64?
    }

    /// Every pool's rule in force; nil rule for values the detector refuses.
    var rules: [PoolID: (rule: SpikeRule, enabled: Bool)]
    var bounds: [PoolID: Bounds]
    /// Rows recorded since their pool's `start`, with their operations, in (transaction, id) order:
    /// the feed order, up to transactions that committed out of order.
    var history: [SpikeDetector.Row]
    /// The snapshot's time, floored to the second.
    var now: Int64
    /// The transaction feed right after the history.
    var cursor: FeedCursor

    /// How far back a recent alert pulls a pool's history, so that the
    /// monitor rebuilds the episode it opened instead of raising it again.
    static let alertHorizon: Int64 = 3600
    /// History rows per page (each page is one JSON value).
    static let pageSize = 50_000
    /// History can be large: loading it gets a few minutes.
    static let loadTimeout: Duration = .seconds(300)

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

    /// Per pool: where its history starts, and its latest spike alert of the last hour.
    private static func boundsQuery(now: Int64) -> String {
        """
        SELECT r.pool_id, least(\(now), coalesce(l.second, \(now)))
                          - 2 * extract(epoch FROM r.spike_short_window)::bigint
                          - extract(epoch FROM r.spike_baseline_window)::bigint AS start,
               l.second AS last_alert
          FROM poolkeeper.effective_alert_rules r
          LEFT JOIN (SELECT DISTINCT ON (pool_id) pool_id, (details->>'second')::bigint AS second
                       FROM poolkeeper.alerts
                      WHERE kind = 'spike' AND details->>'second' ~ '^[0-9]{1,15}$'
                        AND raised_at >= to_timestamp(\(now - alertHorizon))
                      ORDER BY pool_id, id DESC) l
            ON l.pool_id = r.pool_id AND l.second >= \(now - alertHorizon)
        """
    }

    private static func read(_ connection: PostgresConnection) async throws -> MonitorStart {
        let logger = connection.logger
        let (cursor, now) = try await connection.query(
            "SELECT poolkeeper.feed_cursor(), floor(extract(epoch FROM now()))::bigint", logger: logger
        ).collect()[0].decode((String, Int64).self)
        let rules = try decodeRules(try await connection.query(rulesQuery, logger: logger).collect())
        // Each result is one row of JSON: see FeedPage for why.
        var bounds: [PoolID: Bounds] = [:]
        for triple in try FeedPage.decode([[Int64?]].self, try await connection.query("""
            SELECT coalesce(json_agg(json_build_array(pool_id, start, last_alert)), '[]')::text
              FROM (\(unescaped: boundsQuery(now: now))) b
            """, logger: logger).collect()) {
            guard triple.count == 3, let pool = triple[0], let start = triple[1] else { continue }
            bounds[PoolID(rawValue: pool)] = Bounds(start: start, lastAlert: triple[2])
        }
        // Pages in (xact_id, id) order; xact_id travels as text (xid8).
        struct Page: Decodable { let rows: [[Int64?]]; let last_xact: String?; let last_id: Int64? }
        var history: [SpikeDetector.Row] = []
        var after = ("0", Int64(0))
        while true {
            let page = try FeedPage.decode(Page.self, try await connection.query("""
                SELECT json_build_object(
                           'rows', coalesce(json_agg(json_build_array(x.pool_id, x.id, x.second, x.operation_id)
                                                     ORDER BY x.xact_id, x.id), '[]'),
                           'last_xact', (array_agg(x.xact_id::text ORDER BY x.xact_id DESC, x.id DESC))[1],
                           'last_id', (array_agg(x.id ORDER BY x.xact_id DESC, x.id DESC))[1])::text
                  FROM (SELECT t.pool_id, t.id, t.xact_id, floor(extract(epoch FROM t.recorded_at))::bigint AS second, t.operation_id
                          FROM (\(unescaped: boundsQuery(now: now))) b
                          JOIN poolkeeper.transactions t
                            ON t.pool_id = b.pool_id AND t.recorded_at >= to_timestamp(b.start)
                         WHERE (t.xact_id, t.id) > (\(after.0)::xid8, \(after.1))
                         ORDER BY t.xact_id, t.id
                         LIMIT \(pageSize)) x
                """, logger: logger).collect())
            history += page.rows.compactMap { fields in
                guard fields.count == 4, let pool = fields[0], let id = fields[1], let second = fields[2] else { return nil }
                return SpikeDetector.Row(pool: PoolID(rawValue: pool), transaction: TransactionID(rawValue: id), second: second,
                                         operation: fields[3].map(OperationID.init(rawValue:)))
            }
            guard page.rows.count == pageSize, let xact = page.last_xact, let id = page.last_id else { break }
            after = (xact, id)
        }
        return MonitorStart(rules: rules, bounds: bounds, history: history, now: now, cursor: FeedCursor(cursor))
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
