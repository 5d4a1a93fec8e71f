import Foundation
import PostgresNIO

/// Batch posting: many ledger rows in one statement and one database
/// transaction (`post_transactions`), all of them or none.
extension PoolKeeperClient {
    /// The most posts one batch may hold, as `post_transactions` allows.
    public static let maximumBatchSize = 1_000

    /// Posts `batch` in one statement and one database transaction and
    /// returns the ledger rows' ids in the order of `batch`. Every post goes
    /// through the same rules, alerts and feed as a single post; a post whose
    /// key was used before replays it. The database takes the locks in the
    /// order single posts take them (every key first, then investor by
    /// investor), so batches and single posts do not deadlock on each other. Any refusal refuses the whole batch, with the
    /// error a single post would give and the post's place in its message
    /// ("post 3: ..."). When every post has an idempotency key, transient
    /// failures are retried (``retryPolicy``): a repeat replays what
    /// committed; otherwise never. Throws `.invalidArgument` for an empty
    /// batch or one above ``maximumBatchSize``, and the errors of
    /// ``post(_:_:pool:investor:idempotencyKey:occurredAt:metadata:)``.
    public func postBatch(_ batch: [PostRequest]) async throws(PoolKeeperError) -> [TransactionID] {
        guard (1...Self.maximumBatchSize).contains(batch.count) else {
            throw PoolKeeperError(code: .invalidArgument,
                                  message: "a batch holds 1 to \(Self.maximumBatchSize) posts, not \(batch.count)")
        }
        var entries: [PostRequest.BatchEntry] = []
        entries.reserveCapacity(batch.count)
        for (index, post) in batch.enumerated() {
            entries.append(try post.batchEntry(place: index + 1))
        }
        let json: String
        do {
            json = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
        } catch {
            throw PoolKeeperError(code: .invalidArgument, message: "the batch is not encodable as JSON: \(error)")
        }
        let keyed = batch.allSatisfy { $0.idempotencyKey != nil }
        let ids = try await retrying(keyed ? retryPolicy : .never, what: "batch of \(batch.count) keyed posts") {
            () async throws(PoolKeeperError) -> [Int64] in
            let query: PostgresQuery = "SELECT poolkeeper.post_transactions(\(json)::jsonb)"
            guard let ids = try await first(query, committing: true, { try $0.decode([Int64].self) }) else {
                throw PoolKeeperError(code: .server, message: "no row from post_transactions")
            }
            return ids
        }
        guard ids.count == batch.count else {
            throw PoolKeeperError(code: .server, message: "post_transactions returned \(ids.count) ids for \(batch.count) posts")
        }
        return ids.map(TransactionID.init(rawValue:))
    }
}
