import Logging

/// Every item of a feed after a cursor, exactly once and in feed order, as
/// it commits: ``AlertStream`` (woken by `poolkeeper_alerts` notifications)
/// and ``TransactionStream`` (polled). Made by
/// ``PoolKeeperClient/alertStream(after:options:)`` and
/// ``PoolKeeperClient/transactionStream(after:options:)``.
///
/// Each iterator reads on a connection of its own (not one of the client's
/// pool) and catches up through the feed's cursor function on start and
/// after every reconnect. It ends, returning nil, when its task is
/// cancelled. It reconnects after a lost connection or a server restart,
/// backing off, and logs each state change; it throws only what reconnecting
/// cannot fix, such as `.invalidCursor`.
public struct FeedStream<Item: Sendable>: AsyncSequence, Sendable {
    public typealias Element = FeedEntry<Item>
    public typealias Failure = PoolKeeperError

    /// Makes the reader behind a new iterator.
    private let makeReader: @Sendable () -> FeedReaderNext<Item>

    /// A stream of `source`, read with these settings from `cursor` on.
    init<Source: Feed>(_ source: Source.Type, settings: ConnectionSettings, cursor: FeedCursor?, options: FeedOptions,
                       logger: Logger) where Source.Item == Item {
        makeReader = {
            let reader = FeedReader<Source>(settings: settings, after: cursor, options: options, logger: logger)
            return { () async throws(PoolKeeperError) -> FeedEntry<Item>? in try await reader.next() }
        }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(read: makeReader())
    }

    /// Reads the next item; see ``FeedStream``.
    public struct Iterator: AsyncIteratorProtocol {
        let read: FeedReaderNext<Item>

        public mutating func next() async throws(PoolKeeperError) -> FeedEntry<Item>? {
            try await read()
        }
    }
}

/// The `next()` of one iterator's reader.
typealias FeedReaderNext<Item: Sendable> = () async throws(PoolKeeperError) -> FeedEntry<Item>?

/// Every committed alert after a cursor, as it commits: woken by
/// `poolkeeper_alerts` notifications, caught up through `alerts_after`.
public typealias AlertStream = FeedStream<Alert>

/// Every committed ledger row after a cursor, within about a poll interval
/// of its commit: read through `transactions_after`.
public typealias TransactionStream = FeedStream<LedgerTransaction>
