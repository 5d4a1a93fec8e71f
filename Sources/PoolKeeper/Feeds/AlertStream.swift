import Logging
import PostgresNIO

/// Every committed alert after a cursor, exactly once and in feed order, as
/// it commits: woken by `poolkeeper_alerts` notifications, caught up through
/// `alerts_after` on start and after every reconnect. Made by
/// ``PoolKeeperClient/alertStream(after:options:)``.
///
/// Each iterator reads on a connection of its own (not one of the client's
/// pool) and ends, returning nil, when its task is cancelled. It reconnects
/// after a lost connection or a server restart, backing off, and logs each
/// state change; it throws only what reconnecting cannot fix, such as
/// `.invalidCursor`.
public struct AlertStream: AsyncSequence, Sendable {
    public typealias Element = FeedEntry<Alert>
    public typealias Failure = PoolKeeperError

    let settings: ConnectionSettings
    let cursor: FeedCursor?
    let options: FeedOptions
    let logger: Logger

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: FeedReader(settings: settings, after: cursor, options: options, logger: logger))
    }

    /// Reads the next alert; see ``AlertStream``.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: FeedReader<AlertFeed>

        public mutating func next() async throws(PoolKeeperError) -> FeedEntry<Alert>? {
            try await reader.next()
        }
    }
}

/// The alert feed: `alerts_after`, woken by `poolkeeper_alerts`.
enum AlertFeed: Feed {
    static let name = "alerts"
    static let channel: String? = "poolkeeper_alerts"

    static func read(after cursor: FeedCursor?, limit: Int, on connection: PostgresConnection,
                     logger: Logger) async throws -> [FeedEntry<Alert>] {
        try await PoolKeeperClient.alertEntries(try connection.query(PoolKeeperClient.alertsQuery(after: cursor, limit: limit),
                                                                     logger: logger).collect())
    }
}
