import Foundation
import Logging
import PostgresNIO

/// One connection of its own, outside the client's pool, for work that runs
/// for a long time (a feed, a spike monitor): it connects when first needed,
/// gives every request a deadline, and drops the connection after any
/// failure, so that the next request connects anew.
///
/// PostgresNIO 1.33.2 drops a query written to a connection that has just
/// closed and never answers it; the deadline turns that into `.connectionLost`.
final class DedicatedConnection {
    private let settings: ConnectionSettings
    private let timeout: Duration
    private let logger: Logger
    private(set) var connection: PostgresConnection?
    private var count = 0

    /// `role` is appended to the settings' application name, so that the
    /// connection can be told apart in `pg_stat_activity`.
    init(settings: ConnectionSettings, role: String, timeout: Duration, logger: Logger) {
        var settings = settings
        settings.applicationName = "\(settings.applicationName ?? "poolkeeper") \(role)"
        self.settings = settings
        self.timeout = timeout
        self.logger = logger
    }

    deinit {
        connection.map(Self.close)
    }

    /// Whether a connection is open now.
    var isConnected: Bool { connection.map { !$0.isClosed } ?? false }

    /// The open connection, or a new one; `connected` runs on a new one
    /// before it is returned.
    func open(_ connected: (PostgresConnection) async throws -> Void = { _ in }) async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        disconnect()
        count += 1
        let configuration = try settings.connectionConfiguration()
        let id = count, logger = self.logger
        let claim = Claim()
        let connection: PostgresConnection
        do {
            connection = try await withDeadline(timeout, "connecting") {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
                if !claim.take(connection) { Self.close(connection) }  // the caller gave up waiting
                return connection
            }
        } catch {
            claim.abandon()
            throw error
        }
        self.connection = connection
        do {
            try await connected(connection)
        } catch {
            disconnect()
            throw error
        }
        return connection
    }

    /// Runs `query` and reads all its rows, within the deadline; on any
    /// failure the connection is dropped.
    func rows(_ query: PostgresQuery, committing: Bool = false) async throws -> [PostgresRow] {
        let connection = try await open()
        let logger = self.logger
        do {
            return try await withDeadline(timeout, "the query") {
                guard committing else { return try await connection.query(query, logger: logger).collect() }
                return try await connection.committedRows(query, logger: logger)  // a failure drops the connection
            }
        } catch {
            disconnect()
            throw error
        }
    }

    /// Runs `body` within the deadline (or `timeout`, when given) on the
    /// open connection; on any failure the connection is dropped.
    func run<Value: Sendable>(_ what: String, timeout: Duration? = nil,
                              _ body: @escaping @Sendable (PostgresConnection) async throws -> Value) async throws -> Value {
        let connection = try await open()
        do {
            return try await withDeadline(timeout ?? self.timeout, what) { try await body(connection) }
        } catch {
            disconnect()
            throw error
        }
    }

    /// Closes the connection without waiting.
    func disconnect() {
        connection.map(Self.close)
        connection = nil
    }

    /// Closes `connection` without waiting, keeping it alive until it has
    /// closed (PostgresNIO asserts that a connection is closed before it goes).
    fileprivate static func close(_ connection: PostgresConnection) {
        let closing: EventLoopFuture<Void> = connection.close()
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    }
}

/// A connection that may arrive after its caller stopped waiting: whichever
/// of the two comes second closes it, so a late connection is not leaked.
private final class Claim: @unchecked Sendable {
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var abandoned = false

    /// Hands the connection over; false when the caller has given up (then the arriving side closes it).
    func take(_ connection: PostgresConnection) -> Bool {
        lock.withLock {
            if abandoned { return false }
            self.connection = connection
            return true
        }
    }

    /// The caller gives up: a connection that arrived meanwhile is closed.
    func abandon() {
        let arrived: PostgresConnection? = lock.withLock {
            abandoned = true
            defer { connection = nil }
            return connection
        }
        arrived.map(DedicatedConnection.close)
    }
}
