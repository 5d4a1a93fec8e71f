import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Watches the ledger for spikes and raises them as `spike` alerts, so that
/// every listener of `poolkeeper_alerts` (psql and Python too) hears of them.
///
/// At start it loads, in one snapshot, every pool's rule, the rows of the
/// last 2S + B of history (more for a pool with a spike alert in the last
/// hour: from 2S + B before that alert) and the cursor that follows them,
/// and runs the history through a ``SpikeDetector`` (rows whose baseline
/// reaches back before the history are counted, not evaluated), so a
/// restart loses no baseline and rebuilds a recent episode rather than
/// raising it again. Then it follows the transaction stream from that cursor. It
/// re-reads the rules every `rulesRefreshInterval` while rows arrive (and at
/// once for a pool it does not know), so rule changes apply without a
/// restart. Each spike goes to `poolkeeper.raise_alert` with its details
/// (``SpikeAlertDetails``) and the episode's dedupe key, so any number of
/// monitors running at once raise each episode once.
///
/// It runs on connections of its own (one for the stream, one for rules and
/// alerts), reconnects with backoff, and ends when its task is cancelled or
/// on graceful shutdown.
public final class SpikeMonitor: Service, Sendable {
    /// How the monitor reads and how often it re-reads the rules.
    public struct Options: Sendable {
        /// How the transaction stream reads.
        public var feed: FeedOptions
        /// Rules are read again at most this often, when rows arrive.
        public var rulesRefreshInterval: Duration
        /// A request (other than loading history) that takes longer is
        /// abandoned and repeated on a new connection.
        public var requestTimeout: Duration
        /// Only these pools are watched; nil: every pool.
        public var pools: Set<PoolID>?

        public init(feed: FeedOptions = .transactions, rulesRefreshInterval: Duration = .seconds(1),
                    requestTimeout: Duration = .seconds(10), pools: Set<PoolID>? = nil) {
            self.feed = feed
            self.rulesRefreshInterval = rulesRefreshInterval
            self.requestTimeout = requestTimeout
            self.pools = pools
        }

        /// Whether `pool` is watched.
        func watches(_ pool: PoolID) -> Bool { pools?.contains(pool) ?? true }
    }

    let settings: ConnectionSettings
    let options: Options
    let logger: Logger
    let observer: (@Sendable (SpikeDetector.Row) -> Void)?

    /// `observer`, when given, is called with every row the detector takes,
    /// history included, in the order it takes them: for metrics and tests.
    public init(settings: ConnectionSettings, options: Options = Options(), logger: Logger = Logger(label: "poolkeeper.spikes"),
                observer: (@Sendable (SpikeDetector.Row) -> Void)? = nil) {
        self.settings = settings
        self.options = options
        self.logger = logger
        self.observer = observer
    }

    /// A monitor for the database `client` connects to, logging where it logs.
    public convenience init(client: PoolKeeperClient, options: Options = Options(),
                            observer: (@Sendable (SpikeDetector.Row) -> Void)? = nil) {
        self.init(settings: client.settings, options: options, logger: client.logger, observer: observer)
    }

    /// Monitors until cancelled or shut down gracefully. Throws what
    /// reconnecting cannot fix (a missing extension, a refused login).
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            do {
                try await self.monitor()
            } catch let error as PoolKeeperError where error.code == .cancelled {
                return
            } catch is CancellationError {
                return
            }
        }
    }

    private func monitor() async throws {
        let database = DedicatedConnection(settings: settings, role: "spike monitor", timeout: options.requestTimeout, logger: logger)
        var rules = RuleBook()
        var detector = SpikeDetector()
        let start = try await persistently("loading history") { try await MonitorStart.load(database) }
        rules.apply(start.rules, to: &detector, logger: logger)
        for row in start.history where options.watches(row.pool) {
            observer?(row)
            let rule = detector.rule(for: row.pool)
            let bounds = start.bounds[row.pool] ?? MonitorStart.Bounds(start: start.now - rule.retention, lastAlert: nil)
            // Rows whose baseline reaches back before the loaded history are only counted.
            guard row.second >= bounds.start + rule.shortWindow + rule.baselineWindow else {
                detector.count(row)
                continue
            }
            guard let spike = detector.observe(row) else { continue }
            // Up to the pool's latest alert, episodes are rebuilt, not raised: that alert's monitor
            // decided them, with state this one may lack.
            if let last = bounds.lastAlert, spike.second <= last { continue }
            try await raise(spike, database)
        }
        logger.info("spike monitor started", metadata: ["pools": "\(start.rules.count)", "history rows": "\(start.history.count)"])

        let stream = TransactionStream(TransactionFeed.self, settings: settings, cursor: start.cursor, options: options.feed, logger: logger)
        for try await entry in stream where options.watches(entry.poolID) {
            if rules.isStale(every: options.rulesRefreshInterval) || !rules.knows(entry.poolID) {
                do {
                    let fresh = try await MonitorStart.rules(database)
                    rules.apply(fresh, to: &detector, logger: logger)
                } catch {
                    rules.postpone()
                    logger.warning("could not read the alert rules; keeping the ones in force", metadata: ["error": "\(PoolKeeperError(error))"])
                }
            }
            let row = SpikeDetector.Row(pool: entry.poolID, transaction: entry.id,
                                        second: Int64(entry.recordedAt.timeIntervalSince1970.rounded(.down)),
                                        operation: entry.operationID)
            observer?(row)
            if let spike = detector.observe(row) { try await raise(spike, database) }
        }
    }

    /// Raises `spike`, repeating the request after a lost connection (the
    /// dedupe key makes repeats harmless).
    private func raise(_ spike: Spike, _ database: DedicatedConnection) async throws {
        let details = SpikeAlertDetails(spike).json
        let id = try await persistently("raising a spike alert") {
            try await database.rows("""
                SELECT poolkeeper.raise_alert('spike', \(spike.pool.rawValue), \(details)::jsonb, \(spike.dedupeKey),
                                              \(spike.transaction.rawValue))
                """, committing: true).first?.decode(Int64?.self)
        }
        if let id = id ?? nil {
            logger.notice("raised a spike alert", metadata: ["alert": "\(id)", "pool": "\(spike.pool)", "n_short": "\(spike.nShort)",
                                                             "n_base": "\(spike.nBase)", "key": "\(spike.dedupeKey)"])
        } else {
            logger.info("the spike was raised already (by another monitor)", metadata: ["pool": "\(spike.pool)", "key": "\(spike.dedupeKey)"])
        }
    }

    /// Runs `body` until it succeeds, backing off after a lost connection;
    /// rethrows any other error, and `CancellationError` when cancelled.
    private func persistently<Value>(_ what: String, _ body: () async throws -> Value) async throws -> Value {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch {
                let error = PoolKeeperError(error)
                guard error.code == .connectionLost, !Task.isCancelled else { throw error }
                attempt += 1
                let delay = options.feed.reconnectDelay(attempt: attempt)
                logger.warning("\(what) failed; trying again", metadata: ["error": "\(error)", "attempt": "\(attempt)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
            }
        }
    }
}
