import Foundation
import Logging
import PostgresNIO

/// One of the two feeds, as a ``FeedReader`` reads it.
protocol Feed: Sendable {
    associatedtype Item: Sendable
    /// For logs and the connection's `application_name`.
    static var name: String { get }
    /// The NOTIFY channel that announces new items, if any.
    static var channel: String? { get }
    /// Up to `limit` items after `cursor`, in feed order.
    static func read(after cursor: FeedCursor?, limit: Int, on connection: PostgresConnection,
                     logger: Logger) async throws -> [FeedEntry<Item>]
}

/// Reads a feed on a connection of its own, as the iterator of a stream.
///
/// It hands out every item after its cursor exactly once, in feed order: it
/// advances the cursor only as it hands an item out, and after a lost
/// connection (a terminated backend, a server restart, a read that takes
/// longer than the request timeout) it reconnects with backoff and reads on
/// from that cursor. Between reads that find nothing it waits for the poll
/// interval, or for a notification on the feed's channel, which it LISTENs
/// to before each catch-up read so that nothing committed in between is
/// missed. Errors that reconnecting cannot fix (a bad cursor, a missing
/// extension, a refused login) end the stream with that error.
final class FeedReader<Source: Feed> {
    private let connection: DedicatedConnection
    private let options: FeedOptions
    private var logger: Logger
    private(set) var cursor: FeedCursor?
    private var page: [FeedEntry<Source.Item>] = []
    private var pageIndex = 0
    private var listener: Task<Void, Never>?
    private let wakes: AsyncStream<Void>
    private var wakeIterator: AsyncStream<Void>.Iterator
    private let wake: AsyncStream<Void>.Continuation
    private let ticker: Task<Void, Never>
    private var failedAttempts = 0

    init(settings: ConnectionSettings, after cursor: FeedCursor?, options: FeedOptions, logger: Logger) {
        var logger = logger
        logger[metadataKey: "feed"] = "\(Source.name)"
        self.logger = logger
        self.options = options
        connection = DedicatedConnection(settings: settings, role: "\(Source.name) feed", timeout: options.requestTimeout,
                                         logger: logger)
        self.cursor = cursor
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        wakeIterator = wakes.makeAsyncIterator()
        ticker = Task { [wake, interval = options.pollInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                wake.yield()
            }
        }
    }

    deinit {
        ticker.cancel()
        listener?.cancel()
        wake.finish()
    }

    /// The next item, waiting for it as long as it takes; nil once the
    /// calling task is cancelled.
    func next() async throws(PoolKeeperError) -> FeedEntry<Source.Item>? {
        while true {
            if pageIndex < page.count {
                let entry = page[pageIndex]
                pageIndex += 1
                cursor = entry.cursor
                return entry
            }
            if Task.isCancelled { return stop() }
            do {
                try await connect()
                let cursor = self.cursor, limit = options.pageSize, logger = self.logger
                let read = try await connection.run("reading the \(Source.name) feed") { connection in
                    try await Source.read(after: cursor, limit: limit, on: connection, logger: logger)
                }
                failedAttempts = 0
                if read.isEmpty {
                    guard await wakeIterator.next() != nil, !Task.isCancelled else { return stop() }
                } else {
                    (page, pageIndex) = (read, 0)
                }
            } catch {
                let error = PoolKeeperError(error)
                if Task.isCancelled || error.code == .cancelled { return stop() }
                disconnect()
                guard error.code == .connectionLost else {
                    logger.error("the \(Source.name) feed stopped: \(error)")
                    throw error
                }
                failedAttempts += 1
                let delay = options.reconnectDelay(attempt: failedAttempts)
                logger.warning("the \(Source.name) feed lost its connection; reconnecting",
                               metadata: ["error": "\(error)", "attempt": "\(failedAttempts)", "delay": "\(delay)"])
                do { try await Task.sleep(for: delay) } catch { return stop() }
            }
        }
    }

    /// Opens a connection if none is open; a new one listens on the feed's channel.
    private func connect() async throws {
        guard !connection.isConnected else { return }
        if connection.connection != nil {
            logger.notice("the \(Source.name) feed's connection has closed; reconnecting")
        }
        disconnect()
        _ = try await connection.open { connection in
            if let channel = Source.channel { try await self.listen(on: channel, connection) }
        }
        logger.info("the \(Source.name) feed is connected", metadata: ["cursor": "\(cursor?.rawValue ?? "start")"])
    }

    /// Starts listening on `channel` and returns once the server has run
    /// LISTEN; each notification, and the end of listening, wakes the reader.
    private func listen(on channel: String, _ connection: PostgresConnection) async throws {
        let (ready, readied) = AsyncStream<Bool>.makeStream()
        listener = Task { [wake, logger] in
            do {
                try await connection.listen(on: channel) { notifications in
                    readied.yield(true)
                    for try await _ in notifications { wake.yield() }
                }
            } catch {
                logger.debug("stopped listening on \(channel): \(error)")
            }
            readied.yield(false)
            readied.finish()
            wake.yield()  // the connection is gone: the next read finds out
        }
        let listening = try await withDeadline(options.requestTimeout, "LISTEN \(channel)") {
            for await listening in ready { return listening }
            return false
        }
        guard listening else {
            throw PoolKeeperError(code: .connectionLost, message: "the connection closed before LISTEN \(channel) took effect")
        }
    }

    private func disconnect() {
        listener?.cancel()
        listener = nil
        connection.disconnect()
    }

    private func stop() -> FeedEntry<Source.Item>? {
        disconnect()
        return nil
    }
}
