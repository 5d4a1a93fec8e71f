import Foundation
import PoolKeeper

/// When the alert of each ledger row first reached an in-process consumer:
/// written by the consumer task, read by the benchmark from another task.
final class ArrivalLog: @unchecked Sendable {
    private let lock = NSLock()
    private var arrivals: [TransactionID: ContinuousClock.Instant] = [:]

    /// Keeps the first arrival of `transaction`'s alert.
    func record(_ transaction: TransactionID, at instant: ContinuousClock.Instant) {
        lock.withLock { if arrivals[transaction] == nil { arrivals[transaction] = instant } }
    }

    /// Every arrival so far.
    var snapshot: [TransactionID: ContinuousClock.Instant] { lock.withLock { arrivals } }

    /// Reads `stream` until its task is cancelled, logging the arrival of
    /// every large_transaction alert of `pool` the moment the stream hands it out.
    static func consume(_ stream: AlertStream, pool: PoolID, into log: ArrivalLog) async throws {
        for try await entry in stream {
            let now = ContinuousClock.now
            if entry.poolID == pool, entry.kind == .largeTransaction, let transaction = entry.transactionID {
                log.record(transaction, at: now)
            }
        }
    }
}
