import Foundation
import PoolKeeper

/// Runs `body` and returns its result, or throws `.connectionLost` after
/// `limit` without waiting for `body`: PostgresNIO 1.33.2 never answers a
/// query written to a connection that has just closed, and a raw-SQL client
/// must not wait for it forever (the library guards its own requests the
/// same way). The caller drops the connection; `body` is left behind.
func withinDeadline<Value: Sendable>(_ limit: Duration, _ what: String,
                                     _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
    let first = FirstOutcome<Value>()
    return try await withCheckedThrowingContinuation { continuation in
        first.wait(continuation)
        Task {
            do { first.finish(.success(try await body())) } catch { first.finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: limit)
            first.finish(.failure(PoolKeeperError(code: .connectionLost, message: "\(what): no answer within \(limit)")))
        }
    }
}

/// Resumes a continuation with the first outcome it is given.
private final class FirstOutcome<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var done = false

    func wait(_ continuation: CheckedContinuation<Value, any Error>) {
        lock.withLock { self.continuation = continuation }
    }

    func finish(_ outcome: Result<Value, any Error>) {
        let waiting: CheckedContinuation<Value, any Error>? = lock.withLock {
            guard !done else { return nil }
            done = true
            return continuation
        }
        waiting?.resume(with: outcome)
    }
}
