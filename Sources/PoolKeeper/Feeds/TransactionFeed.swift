import Foundation
import Logging
import PostgresNIO

/// The ledger feed: `transactions_after`, polled.
enum TransactionFeed: Feed {
    static let name = "transactions"
    static let channel: String? = nil

    static func read(after cursor: FeedCursor?, limit: Int, on connection: PostgresConnection,
                     logger: Logger) async throws -> [FeedEntry<LedgerTransaction>] {
        struct Record: Decodable {
            let cursor: String, id: Int64, pool_id: Int64, investor_id: Int64, kind: String, amount: String, currency: String
            let occurred_at: Int64, recorded_at: Int64, idempotency_key: String?, reverses_id: Int64?, metadata: [String: String]
            let operation_id: Int64?
            let posted_by: String?
        }
        try PoolKeeperClient.requireText(cursor?.rawValue, "the cursor", code: .invalidCursor)
        let rows = try await connection.query("""
            SELECT coalesce(json_agg(json_build_object(
                       'cursor', f.cursor, 'id', f.id, 'pool_id', f.pool_id, 'investor_id', f.investor_id, 'kind', f.kind,
                       'amount', f.amount::text, 'currency', p.currency,
                       'occurred_at', \(unescaped: FeedPage.microseconds("f.occurred_at")),
                       'recorded_at', \(unescaped: FeedPage.microseconds("f.recorded_at")),
                       'idempotency_key', f.idempotency_key, 'reverses_id', f.reverses_id,
                       'metadata', \(unescaped: PoolKeeperClient.metadataAsText("f"))::json,
                       'operation_id', f.operation_id, 'posted_by', f.posted_by)
                     ORDER BY f.ordinality), '[]')::text
              FROM poolkeeper.transactions_after(\(cursor?.rawValue), \(Int32(clamping: limit))) WITH ORDINALITY f
              JOIN poolkeeper.pools p ON p.id = f.pool_id
            """, logger: logger).collect()
        return try FeedPage.decode([Record].self, rows).map { record in
            guard let amount = Decimal(string: record.amount, locale: Locale(identifier: "en_US_POSIX")) else {
                throw PoolKeeperError(code: .server, message: "the ledger holds an amount that is not a number: \(record.amount)")
            }
            return FeedEntry(item: LedgerTransaction(
                id: TransactionID(rawValue: record.id), poolID: PoolID(rawValue: record.pool_id),
                investorID: InvestorID(rawValue: record.investor_id), kind: try PoolKeeperClient.kind(record.kind),
                amount: Money(amount, record.currency), occurredAt: FeedPage.date(microseconds: record.occurred_at),
                recordedAt: FeedPage.date(microseconds: record.recorded_at), idempotencyKey: record.idempotency_key,
                reverses: record.reverses_id.map(TransactionID.init(rawValue:)), metadata: record.metadata,
                operationID: record.operation_id.map(OperationID.init(rawValue:)), postedBy: record.posted_by),
                cursor: FeedCursor(record.cursor))
        }
    }
}
