import Foundation
import PostgresNIO

/// A request that took longer than its deadline.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var what: String
    var description: String { "\(what) took too long" }
}

/// Runs `body` and returns its result, or throws ``DeadlineExceeded`` once
/// `limit` has passed, or `CancellationError` when the caller is cancelled,
/// without waiting for `body` to end.
///
/// PostgresNIO 1.33.2 drops a query written to a connection that has just
/// closed and never answers it; a feed must not wait for it forever. Such a
/// `body` is left behind until it ends (for a dropped query: never, which
/// costs one suspended task per occurrence). It is not cancelled: cancelling
/// a query while its rows arrive can trip a fatal assertion in PostgresNIO
/// 1.33.2's row stream; the caller closes the connection instead, which ends it.
func withDeadline<Value: Sendable>(_ limit: Duration, _ what: String,
                                    _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
    let race = Race<Value>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            Task { race.finish(with: await Result(catching: body)) }
            let timer = Task {
                try? await Task.sleep(for: limit)
                race.finish(with: .failure(DeadlineExceeded(what: what)))
            }
            race.start(continuation, cancelling: [timer])
        }
    } onCancel: {
        race.finish(with: .failure(CancellationError()))
    }
}

/// Runs `body`, a request on `connection`, and returns its result; or
/// throws `.connectionLost` once the connection has closed and `body` has
/// still not ended `grace` later: PostgresNIO 1.33.2 never answers a query
/// written to a connection that has just closed. Such a `body` is left
/// behind, as in ``withDeadline(_:_:_:)``. The connection is looked at every
/// `interval` by a task that ends with the request.
///
/// Cancelling the caller does not end the wait: the connection is a pooled
/// one, and handing it back while `body` still has statements queued on it
/// would let the next request run inside this one's transaction. A caller
/// cancelled before `body` started gets `CancellationError` and nothing runs.
func untilClosed<Value: Sendable>(_ connection: PostgresConnection, grace: Duration = .seconds(2),
                                  interval: Duration = .milliseconds(500),
                                  _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
    try Task.checkCancellation()
    let race = Race<Value>()
    return try await withCheckedThrowingContinuation { continuation in
        Task { race.finish(with: await Result(catching: body)) }
        let watch = Task {
            while !connection.isClosed {
                do { try await Task.sleep(for: interval) } catch { return }
            }
            do { try await Task.sleep(for: grace) } catch { return }
            race.finish(with: .failure(PoolKeeperError(
                code: .connectionLost,
                message: "the connection closed and the request got no answer; it may or may not have taken effect")))
        }
        race.start(continuation, cancelling: [watch])
    }
}

/// The first of several outcomes resumes the continuation; the others are ignored.
private final class Race<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, any Error>?
    private var outcome: Result<Value, any Error>?
    private var tasks: [Task<Void, Never>] = []

    func start(_ continuation: CheckedContinuation<Value, any Error>, cancelling tasks: [Task<Void, Never>]) {
        lock.lock()
        if let outcome {
            lock.unlock()
            tasks.forEach { $0.cancel() }
            continuation.resume(with: outcome)
            return
        }
        self.continuation = continuation
        self.tasks = tasks
        lock.unlock()
    }

    func finish(with result: Result<Value, any Error>) {
        lock.lock()
        guard outcome == nil else { lock.unlock(); return }
        outcome = result
        let continuation = self.continuation, tasks = self.tasks
        self.continuation = nil
        self.tasks = []
        lock.unlock()
        tasks.forEach { $0.cancel() }
        continuation?.resume(with: result)
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing body.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
