import Foundation
import Logging
import PostgresNIO

/// Every committed ledger row after a cursor, exactly once and in feed
/// order, within about a poll interval of its commit: read through
/// `transactions_after` on a connection of its own. Made by
/// ``PoolKeeperClient/transactionStream(after:options:)``.
///
/// Each iterator ends, returning nil, when its task is cancelled. It
/// reconnects after a lost connection or a server restart, backing off, and
/// logs each state change; it throws only what reconnecting cannot fix, such
/// as `.invalidCursor`.
public struct TransactionStream: AsyncSequence, Sendable {
    public typealias Element = FeedEntry<LedgerTransaction>
    public typealias Failure = PoolKeeperError

    let settings: ConnectionSettings
    let cursor: FeedCursor?
    let options: FeedOptions
    let logger: Logger

    public func makeAsyncIterator() -> Iterator {
        Iterator(reader: FeedReader(settings: settings, after: cursor, options: options, logger: logger))
    }

    /// Reads the next ledger row; see ``TransactionStream``.
    public struct Iterator: AsyncIteratorProtocol {
        let reader: FeedReader<TransactionFeed>

        public mutating func next() async throws(PoolKeeperError) -> FeedEntry<LedgerTransaction>? {
            try await reader.next()
        }
    }
}

/// The ledger feed: `transactions_after`, polled.
enum TransactionFeed: Feed {
    static let name = "transactions"
    static let channel: String? = nil

    static func read(after cursor: FeedCursor?, limit: Int, on connection: PostgresConnection,
                     logger: Logger) async throws -> [FeedEntry<LedgerTransaction>] {
        let rows = try await connection.query("""
            SELECT f.cursor, f.id, f.pool_id, f.investor_id, f.kind, f.amount, p.currency, f.occurred_at, f.recorded_at,
                   f.idempotency_key, f.reverses_id, \(unescaped: PoolKeeperClient.metadataAsText("f"))
              FROM poolkeeper.transactions_after(\(cursor?.rawValue), \(Int32(clamping: limit))) WITH ORDINALITY f
              JOIN poolkeeper.pools p ON p.id = f.pool_id
             ORDER BY f.ordinality
            """, logger: logger).collect()
        return try rows.map { row in
            let (next, id, pool, investor, kind, amount, currency, occurred, recorded, key, reverses, metadata)
                = try row.decode((String, Int64, Int64, Int64, String, Decimal, String, Date, Date, String?, Int64?, String).self)
            return FeedEntry(item: LedgerTransaction(
                id: TransactionID(rawValue: id), poolID: PoolID(rawValue: pool), investorID: InvestorID(rawValue: investor),
                kind: try PoolKeeperClient.kind(kind), amount: Money(amount, currency), occurredAt: occurred,
                recordedAt: recorded, idempotencyKey: key, reverses: reverses.map(TransactionID.init(rawValue:)),
                metadata: try JSONDecoder().decode([String: String].self, from: Data(metadata.utf8))), cursor: FeedCursor(next))
        }
    }
}
