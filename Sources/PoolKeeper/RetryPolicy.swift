/// How the client retries a request that is safe to repeat (a post with an
/// idempotency key) after a transient failure: a lost connection, a
/// serialization failure or a deadlock. The delay doubles from
/// `initialDelay` up to `maximumDelay`, with random jitter of up to half of
/// it, for at most `maximumAttempts` attempts in all.
public struct RetryPolicy: Hashable, Sendable {
    public var maximumAttempts: Int
    public var initialDelay: Duration
    public var maximumDelay: Duration

    public init(maximumAttempts: Int = 6, initialDelay: Duration = .milliseconds(50),
                maximumDelay: Duration = .seconds(2)) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// Six attempts, pausing at most about 1.5 s in all between them.
    public static let `default` = RetryPolicy()
    /// One attempt: never retry.
    public static let never = RetryPolicy(maximumAttempts: 1)

    /// The pause before attempt `attempt` (2 for the first retry).
    func delay(beforeAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 2..<max(2, attempt) where delay < maximumDelay { delay *= 2 }
        delay = min(delay, maximumDelay)
        return delay * Double.random(in: 0.5...1.0)
    }
}
