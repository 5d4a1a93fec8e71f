import Logging
import PostgresNIO

/// The alert feed: `alerts_after`, woken by `poolkeeper_alerts`.
enum AlertFeed: Feed {
    static let name = "alerts"
    static let channel: String? = "poolkeeper_alerts"

    static func read(after cursor: FeedCursor?, limit: Int, on connection: PostgresConnection,
                     logger: Logger) async throws -> [FeedEntry<Alert>] {
        try PoolKeeperClient.requireText(cursor?.rawValue, "the cursor", code: .invalidCursor)
        return try await PoolKeeperClient.alertEntries(try connection.query(PoolKeeperClient.alertsQuery(after: cursor, limit: limit),
                                                                            logger: logger).collect())
    }
}
