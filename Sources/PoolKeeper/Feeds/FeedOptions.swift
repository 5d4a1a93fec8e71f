/// How a feed stream reads: how often it looks for new items when nothing
/// wakes it, how many it reads at a time, and how it reconnects.
public struct FeedOptions: Hashable, Sendable {
    /// The pause between reads that found nothing. The alert stream is also
    /// woken by `poolkeeper_alerts` notifications, so for it this is only a
    /// fallback (for alerts written with `poolkeeper.notify_alerts = off`).
    public var pollInterval: Duration
    /// Items per read, 1 to 10,000.
    public var pageSize: Int
    /// A read or a connection attempt that takes longer is abandoned, and
    /// the stream reconnects.
    public var requestTimeout: Duration
    /// The first pause before reconnecting; it doubles after each failed
    /// attempt, up to `maximumReconnectDelay`, with random jitter.
    public var reconnectDelay: Duration
    public var maximumReconnectDelay: Duration

    public init(pollInterval: Duration, pageSize: Int = 1000, requestTimeout: Duration = .seconds(10),
                reconnectDelay: Duration = .milliseconds(50), maximumReconnectDelay: Duration = .seconds(5)) {
        self.pollInterval = pollInterval
        self.pageSize = min(max(pageSize, 1), 10_000)
        self.requestTimeout = requestTimeout
        self.reconnectDelay = reconnectDelay
        self.maximumReconnectDelay = maximumReconnectDelay
    }

    /// The transaction stream's defaults: a read every 25 ms while idle
    /// (about 1 ms of server time each), so a row arrives within about 25 ms of its commit.
    public static let transactions = FeedOptions(pollInterval: .milliseconds(25))
    /// The alert stream's defaults: woken by NOTIFY, with a read every second as a fallback.
    public static let alerts = FeedOptions(pollInterval: .seconds(1))

    /// The pause before reconnect attempt `attempt` (1 for the first).
    func reconnectDelay(attempt: Int) -> Duration {
        var delay = reconnectDelay
        for _ in 1..<max(1, attempt) where delay < maximumReconnectDelay { delay *= 2 }
        return min(delay, maximumReconnectDelay) * Double.random(in: 0.5...1.0)
    }
}
