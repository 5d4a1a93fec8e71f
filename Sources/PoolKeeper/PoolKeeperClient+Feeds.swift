import Logging

/// The live feeds as streams.
extension PoolKeeperClient {
    /// Every alert that commits after `cursor` (nil: every alert ever;
    /// ``feedCursor()``: from now on), exactly once, as it commits. The
    /// stream reads on a connection of its own; it needs no ``run()``.
    public func alertStream(after cursor: FeedCursor?, options: FeedOptions = .alerts) -> AlertStream {
        AlertStream(AlertFeed.self, settings: settings, cursor: cursor, options: options, logger: logger)
    }

    /// Every ledger row that commits after `cursor` (nil: every row ever;
    /// ``feedCursor()``: from now on), exactly once, within about
    /// `options.pollInterval` of its commit. The stream reads on a connection
    /// of its own; it needs no ``run()``.
    public func transactionStream(after cursor: FeedCursor?, options: FeedOptions = .transactions) -> TransactionStream {
        TransactionStream(TransactionFeed.self, settings: settings, cursor: cursor, options: options, logger: logger)
    }

    /// A cursor at the end of both feeds now (`feed_cursor`): reading after
    /// it returns only rows and alerts that commit from now on.
    public func feedCursor() async throws(PoolKeeperError) -> FeedCursor {
        try await alertFeedCursor()
    }
}
