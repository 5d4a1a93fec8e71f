import Foundation

/// One post of a batch (``PoolKeeperClient/postBatch(_:)``): the arguments of
/// a single ``PoolKeeperClient/post(_:_:pool:investor:idempotencyKey:occurredAt:metadata:)``.
/// The same request posted alone or in a batch is the same request: a retry
/// under its key replays it either way.
public struct PostRequest: Hashable, Sendable {
    public var kind: LedgerTransaction.Kind
    public var amount: Decimal
    public var pool: PoolID
    public var investor: InvestorID
    public var idempotencyKey: String?
    /// nil means the time the batch is posted. In a batch, a time must fall
    /// in the years 1 to 9999.
    public var occurredAt: Date?
    public var metadata: [String: String]

    public init(_ kind: LedgerTransaction.Kind, _ amount: Decimal, pool: PoolID, investor: InvestorID,
                idempotencyKey: String? = nil, occurredAt: Date? = nil, metadata: [String: String] = [:]) {
        self.kind = kind
        self.amount = amount
        self.pool = pool
        self.investor = investor
        self.idempotencyKey = idempotencyKey
        self.occurredAt = occurredAt
        self.metadata = metadata
    }

    /// The post as `post_transactions` reads it (checked_batch_post): the
    /// amount as a string, which keeps every digit, and the time to the
    /// microsecond as PostgresNIO binds a `Date`, so that a replay matches.
    /// `place` (1-based) prefixes every refusal.
    func batchEntry(place: Int) throws(PoolKeeperError) -> BatchEntry {
        try PoolKeeperClient.requireNumber(amount, "post \(place): amount", code: .invalidAmount)
        try PoolKeeperClient.requireText(idempotencyKey, "post \(place): idempotency key")
        try PoolKeeperClient.requireMetadata(metadata, prefix: "post \(place): ")
        var time: String?
        if let occurredAt {
            guard let text = TimestampText.iso8601(occurredAt) else {
                throw PoolKeeperError(code: .invalidArgument,
                                      message: "post \(place): occurredAt \(occurredAt.timeIntervalSince1970) s since 1970 is not in the years 1 to 9999")
            }
            time = text
        }
        return BatchEntry(pool_id: pool.rawValue, investor_id: investor.rawValue, kind: kind.rawValue, amount: "\(amount)",
                          idempotency_key: idempotencyKey, occurred_at: time, metadata: metadata.isEmpty ? nil : metadata)
    }

    /// One element of the JSON array `post_transactions` takes; nil fields are left out.
    struct BatchEntry: Encodable {
        var pool_id: Int64
        var investor_id: Int64
        var kind: String
        var amount: String
        var idempotency_key: String?
        var occurred_at: String?
        var metadata: [String: String]?
    }
}
