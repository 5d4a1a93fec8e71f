import Foundation
import Logging
import PostgresNIO

/// Posting money: each post appends one ledger row and moves the position in
/// the same database transaction (`post_transaction`), or is refused whole.
///
/// With an `idempotencyKey`, a post is safe to repeat: the database replays
/// the original instead of posting twice, so the client retries it on a lost
/// connection, a serialization failure or a deadlock, following
/// ``retryPolicy``. Without a key a post is never retried: after a lost
/// connection the client cannot know whether it committed.
extension PoolKeeperClient {
    /// Records money the investor put into the pool. Returns the ledger row's id.
    public func contribute(_ amount: Decimal, pool: PoolID, investor: InvestorID, idempotencyKey: String? = nil,
                           occurredAt: Date? = nil, metadata: [String: String] = [:]) async throws(PoolKeeperError) -> TransactionID {
        try await post(.contribution, amount, pool: pool, investor: investor, idempotencyKey: idempotencyKey,
                       occurredAt: occurredAt, metadata: metadata)
    }

    /// Records capital returned to the investor; it may not take net_invested
    /// below zero (`.insufficientPosition`). Returns the ledger row's id.
    public func withdraw(_ amount: Decimal, pool: PoolID, investor: InvestorID, idempotencyKey: String? = nil,
                         occurredAt: Date? = nil, metadata: [String: String] = [:]) async throws(PoolKeeperError) -> TransactionID {
        try await post(.withdrawal, amount, pool: pool, investor: investor, idempotencyKey: idempotencyKey,
                       occurredAt: occurredAt, metadata: metadata)
    }

    /// Records proceeds paid out to the investor; they do not change
    /// net_invested. Returns the ledger row's id.
    public func distribute(_ amount: Decimal, pool: PoolID, investor: InvestorID, idempotencyKey: String? = nil,
                           occurredAt: Date? = nil, metadata: [String: String] = [:]) async throws(PoolKeeperError) -> TransactionID {
        try await post(.distribution, amount, pool: pool, investor: investor, idempotencyKey: idempotencyKey,
                       occurredAt: occurredAt, metadata: metadata)
    }

    /// Charges the investor a fee out of net_invested, which may not go
    /// below zero (`.insufficientPosition`). Returns the ledger row's id.
    public func chargeFee(_ amount: Decimal, pool: PoolID, investor: InvestorID, idempotencyKey: String? = nil,
                          occurredAt: Date? = nil, metadata: [String: String] = [:]) async throws(PoolKeeperError) -> TransactionID {
        try await post(.fee, amount, pool: pool, investor: investor, idempotencyKey: idempotencyKey,
                       occurredAt: occurredAt, metadata: metadata)
    }

    /// Posts one ledger row of any kind. `occurredAt` nil means now.
    /// Throws `.invalidAmount` (not positive, or too precise for the currency),
    /// `.invalidArgument` (bad key or metadata), `.notFound`, `.poolClosed`,
    /// `.notAMember`, `.insufficientPosition`, `.idempotencyConflict` (the key
    /// was used for another request), or, once retries are spent, the last
    /// transient error.
    public func post(_ kind: LedgerTransaction.Kind, _ amount: Decimal, pool: PoolID, investor: InvestorID,
                     idempotencyKey: String? = nil, occurredAt: Date? = nil,
                     metadata: [String: String] = [:]) async throws(PoolKeeperError) -> TransactionID {
        try Self.requireNumber(amount, "amount", code: .invalidAmount)
        try Self.requireText(idempotencyKey, "idempotency key")
        try Self.requireTime(occurredAt, "occurredAt")
        let metadataJSON = try Self.json(metadata)
        return TransactionID(rawValue: try await keyedScalar("""
            SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investor.rawValue), \(kind.rawValue), \(amount),
                                               \(idempotencyKey), \(occurredAt), \(metadataJSON)::jsonb)
            """, idempotencyKey: idempotencyKey, what: "post"))
    }

    /// Runs `query`, which returns one bigint. With an `idempotencyKey` a
    /// repeat is harmless, so transient failures are retried (``retryPolicy``);
    /// without one, never: after a lost connection the request may have committed.
    func keyedScalar(_ query: @autoclosure () throws -> PostgresQuery, idempotencyKey: String?,
                     what: String) async throws(PoolKeeperError) -> Int64 {
        let policy = idempotencyKey == nil ? RetryPolicy.never : retryPolicy
        return try await retrying(policy, what: "\(what) with key \(idempotencyKey ?? "")") { () async throws(PoolKeeperError) -> Int64 in
            try await scalar(try query())
        }
    }

    /// Appends the reversal of ledger row `transaction` (same pool, investor,
    /// kind and amount, the opposite effect) with `reason` in its metadata,
    /// and returns the reversal's id. Never retried: a repeat would be refused
    /// as `.alreadyReversed`. Throws `.notFound`, `.alreadyReversed`,
    /// `.notReversible` (a reversal), `.insufficientPosition`, `.poolClosed`,
    /// `.notAMember`, `.invalidArgument` (empty reason).
    public func reverse(_ transaction: TransactionID, reason: String) async throws(PoolKeeperError) -> TransactionID {
        try Self.requireText(reason, "reason")
        return TransactionID(rawValue: try await scalar(
            "SELECT poolkeeper.reverse_transaction(\(transaction.rawValue), \(reason))"))
    }

    /// Runs `body` up to `policy.maximumAttempts` times while it fails with a
    /// transient error, pausing between attempts.
    func retrying<Result>(_ policy: RetryPolicy, what: String,
                          _ body: () async throws(PoolKeeperError) -> Result) async throws(PoolKeeperError) -> Result {
        var attempt = 1
        while true {
            do throws(PoolKeeperError) {
                return try await body()
            } catch where error.isTransient && attempt < policy.maximumAttempts {
                let failure = error
                attempt += 1
                logger.notice("retrying after a transient error", metadata: [
                    "request": "\(what)", "attempt": "\(attempt)", "error": "\(failure)"])
                do {
                    try await Task.sleep(for: policy.delay(beforeAttempt: attempt))
                } catch {
                    throw PoolKeeperError(code: .cancelled, message: "cancelled while waiting to retry after: \(failure)")
                }
            }
        }
    }

    /// Refuses metadata whose keys or values hold a NUL character (`jsonb`
    /// cannot store `\u0000`); `prefix` goes before what each error names.
    static func requireMetadata(_ metadata: [String: String], prefix: String = "") throws(PoolKeeperError) {
        for (key, value) in metadata {
            try requireText(key, "\(prefix)a metadata key")
            try requireText(value, "\(prefix)metadata \(key)")
        }
    }

    /// Metadata as a JSON object; keys and values are strings, without NUL
    /// characters (`jsonb` cannot store `\u0000`).
    static func json(_ metadata: [String: String]) throws(PoolKeeperError) -> String {
        try requireMetadata(metadata)
        do {
            let data = try JSONEncoder().encode(metadata)
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw PoolKeeperError(code: .invalidArgument, message: "metadata is not encodable as JSON: \(error)")
        }
    }
}
