import Foundation
import PostgresNIO

/// Reading the ledger a page at a time.
extension PoolKeeperClient {
    /// Up to `limit` (1 to 10,000) ledger rows of `pool`, optionally of one
    /// investor or of one distribution (`operation`), with ids above `after`,
    /// in id order. Throws `.notFound` when there is no such pool,
    /// `.invalidArgument` for a bad limit.
    public func transactions(in pool: PoolID, investor: InvestorID? = nil, operation: OperationID? = nil,
                             after: TransactionID? = nil, limit: Int = 100) async throws(PoolKeeperError) -> TransactionPage {
        guard (1...10_000).contains(limit) else {
            throw PoolKeeperError(code: .invalidArgument, message: "limit must be between 1 and 10000, not \(limit)")
        }
        let (exists, rows) = try await perform { () async throws -> (Bool, [LedgerTransaction]) in
            // One row of NULLs when the pool has no such rows; none when there is no pool.
            let rows = try await self.rows("""
                SELECT t.id, t.investor_id, t.kind, t.amount, p.currency, t.occurred_at, t.recorded_at,
                       t.idempotency_key, t.reverses_id,
                       \(unescaped: Self.metadataAsText("t")), t.operation_id, t.posted_by::text
                  FROM poolkeeper.pools p
                  LEFT JOIN LATERAL (
                        SELECT * FROM poolkeeper.transactions t
                         WHERE t.pool_id = p.id AND t.id > \(after?.rawValue ?? 0)
                           AND (\(investor?.rawValue)::bigint IS NULL OR t.investor_id = \(investor?.rawValue))
                           AND (\(operation?.rawValue)::bigint IS NULL OR t.operation_id = \(operation?.rawValue))
                         ORDER BY t.id LIMIT \(limit + 1)) t ON true
                 WHERE p.id = \(pool.rawValue)
                 ORDER BY t.id
                """)
            var exists = false
            var found: [LedgerTransaction] = []
            for (id, investor, kind, amount, currency, occurred, recorded, key, reverses, metadata, operation, postedBy) in try rows.map({
                try $0.decode((Int64?, Int64?, String?, Decimal?, String, Date?, Date?, String?, Int64?, String?, Int64?, String?).self)
            }) {
                exists = true
                guard let id, let investor, let kind, let amount, let occurred, let recorded, let metadata else { continue }
                found.append(LedgerTransaction(
                    id: TransactionID(rawValue: id), poolID: pool, investorID: InvestorID(rawValue: investor),
                    kind: try Self.kind(kind), amount: Money(amount, currency), occurredAt: occurred,
                    recordedAt: recorded, idempotencyKey: key, reverses: reverses.map(TransactionID.init(rawValue:)),
                    metadata: try JSONDecoder().decode([String: String].self, from: Data(metadata.utf8)),
                    operationID: operation.map(OperationID.init(rawValue:)), postedBy: postedBy))
            }
            return (exists, found)
        }
        guard exists else { throw PoolKeeperError.notFound("pool", pool.rawValue) }
        let more = rows.count > limit
        let page = Array(rows.prefix(limit))
        return TransactionPage(transactions: page, next: more ? page.last?.id : nil)
    }

    /// SQL for the metadata of ledger row `alias` as a JSON object of text
    /// values (a JSON null as `null`), which decodes as `[String: String]`.
    static func metadataAsText(_ alias: String) -> String {
        "(SELECT coalesce(jsonb_object_agg(key, coalesce(value, 'null')), '{}')::text FROM jsonb_each_text(\(alias).metadata))"
    }

    static func kind(_ text: String) throws(PoolKeeperError) -> LedgerTransaction.Kind {
        guard let kind = LedgerTransaction.Kind(rawValue: text) else {
            throw PoolKeeperError(code: .server, message: "the ledger holds a row of unknown kind \(text)")
        }
        return kind
    }
}
