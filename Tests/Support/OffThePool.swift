import Foundation

/// Runs `work` on a thread of its own and returns its result. Long,
/// CPU-bound test work (brute-force replays, a subprocess waited for) would
/// otherwise hold one of the concurrency pool's few threads (2 on a 2-core
/// machine) and stall every async test running alongside.
public func offThePool<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
