import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The entry point for applications: a pool of connections to the database
/// that holds the poolkeeper extension.
///
/// Like PostgresNIO's `PostgresClient`, it works only while ``run()`` runs:
/// add it to a `ServiceGroup`, or run it in a task group next to the code
/// that uses it.
///
/// ```swift
/// let client = try PoolKeeperClient(settings: .fromEnvironment())
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { try await client.run() }
///     print(try await client.extensionVersion())
///     group.cancelAll()
/// }
/// ```
public final class PoolKeeperClient: Service, Sendable {
    /// The underlying PostgresNIO client, for queries the library does not offer yet.
    public let postgres: PostgresClient
    /// Where the client connects.
    public let settings: ConnectionSettings
    /// How posts with an idempotency key are retried after a transient failure.
    public let retryPolicy: RetryPolicy
    let logger: Logger

    /// A client for the database `settings` name, with at most
    /// `maximumConnections` (at least 1) connections. Throws
    /// `.invalidConfiguration` for fewer, or for settings PostgresNIO cannot use. Connects only once ``run()`` runs, so
    /// a problem reaching the server (or with its certificate) shows when the
    /// first request fails; call ``checkConnection()`` to find out at once.
    public init(settings: ConnectionSettings, maximumConnections: Int = 20, retryPolicy: RetryPolicy = .default,
                logger: Logger = Logger(label: "poolkeeper")) throws {
        guard maximumConnections >= 1 else {
            throw PoolKeeperError(code: .invalidConfiguration, message: "maximumConnections must be at least 1, not \(maximumConnections)")
        }
        var configuration = try settings.postgresConfiguration()
        configuration.options.maximumConnections = maximumConnections
        self.postgres = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.settings = settings
        self.retryPolicy = retryPolicy
        self.logger = logger
    }

    /// Runs the connection pool until the surrounding task is cancelled, or
    /// until graceful shutdown when it runs in a `ServiceGroup`.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.postgres.run()
        }
    }

    /// The version of the poolkeeper extension installed in the database.
    /// Throws `.extensionNotInstalled` when it is not installed.
    public func extensionVersion() async throws(PoolKeeperError) -> String {
        let version = try await first("SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'poolkeeper'") {
            try $0.decode(String.self)
        }
        guard let version else {
            throw PoolKeeperError(code: .extensionNotInstalled,
                                  message: "the poolkeeper extension is not installed; run CREATE EXTENSION poolkeeper")
        }
        return version
    }

    /// Opens one connection outside the pool, runs `SELECT 1` and closes it.
    /// It fails at once with the server's own error (a wrong password, an
    /// unknown database) where the pool would retry a failing server for a
    /// minute before giving up with `.connectionLost`. Needs no `run()`.
    public func checkConnection() async throws(PoolKeeperError) {
        try await perform {
            let connection = try await PostgresConnection.connect(
                configuration: settings.connectionConfiguration(), id: 0, logger: logger)
            do {
                for try await _ in try await connection.query("SELECT 1", logger: logger) {}
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
    }

    /// Runs a write and reads all it returns, so that an error the server
    /// raises while producing rows is thrown here; returns once committed.
    func execute(_ query: @autoclosure () throws -> PostgresQuery) async throws(PoolKeeperError) {
        try await perform {
            _ = try await rows(query(), committing: true)
        }
    }

    /// The single bigint a write returns, once committed.
    func scalar(_ query: @autoclosure () throws -> PostgresQuery) async throws(PoolKeeperError) -> Int64 {
        let query = try await perform { try query() }
        guard let value = try await first(query, committing: true, { try $0.decode(Int64.self) }) else {
            throw PoolKeeperError(code: .server, message: "no row from \(query.sql)")
        }
        return value
    }

    /// The first row a statement returns, made into a value by `make`; nil
    /// when it returns none. A write passes `committing: true`.
    func first<Value>(_ query: PostgresQuery, committing: Bool = false,
                      _ make: (PostgresRow) throws -> Value) async throws(PoolKeeperError) -> Value? {
        try await perform { () async throws -> Value? in
            try await rows(query, committing: committing).first.map(make)
        }
    }

    /// Every row a statement returns, read to the end, so that an error the
    /// server raises while producing them is thrown here.
    ///
    /// With `committing`, the statement runs between BEGIN and COMMIT, and
    /// this returns only once COMMIT has answered (`committedRows`). A write
    /// whose COMMIT gets no answer fails with `.connectionLost`: it may or
    /// may not have committed, and a retry under its idempotency key finds out.
    func rows(_ query: PostgresQuery, committing: Bool = false) async throws -> [PostgresRow] {
        try await onLiveConnection { [logger] connection in
            guard committing else { return try await connection.query(query, logger: logger).collect() }
            do {
                return try await connection.committedRows(query, logger: logger)
            } catch {
                // The connection goes back to the pool: never inside a transaction.
                if !connection.isClosed, !Self.endsConnection(error) {
                    do {
                        _ = try await connection.query("ROLLBACK", logger: logger).collect()
                    } catch {
                        try? await connection.close()
                    }
                }
                throw error
            }
        }
    }

    /// Runs `body` on a connection of the pool that is still open.
    ///
    /// PostgresNIO 1.33.2 gives a connection whose query failed back to the
    /// pool at once, also when the failure was the server ending the
    /// connection (`pg_terminate_backend`, a restart), and a query written
    /// to a connection that has closed meanwhile is dropped and never
    /// answered: its caller would wait forever. So after an error that ends
    /// the connection, the connection is given back only once it has closed;
    /// and a leased connection that has closed is given back unused and
    /// another one leased (safe for any request: nothing was sent). After a
    /// few such leases the request fails with `.connectionLost`.
    /// A connection can still close between that check and the query's
    /// write (the stress harness caught a post waiting for minutes): so the
    /// request also fails with `.connectionLost` when its connection closes
    /// under it and no answer has come a moment later (``untilClosed``).
    func onLiveConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        for _ in 1...5 {
            do {
                return try await postgres.withConnection { connection in
                    guard !connection.isClosed else { throw ClosedConnectionLeased() }
                    do {
                        return try await untilClosed(connection) { try await body(connection) }
                    } catch {
                        if Self.endsConnection(error) { try? await connection.closeFuture.get() }
                        throw error
                    }
                }
            } catch is ClosedConnectionLeased {
                try await Task.sleep(for: .milliseconds(10))  // let the pool see the close
            }
        }
        throw PoolKeeperError(code: .connectionLost, message: "the pool kept handing out connections that had closed")
    }

    /// Whether the server or the network ended the connection with this error.
    static func endsConnection(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError else { return false }
        if let severity = psql.serverInfo?[.severity] { return severity == "FATAL" || severity == "PANIC" }
        return PoolKeeperError(psql).code == .connectionLost
    }

    /// Refuses NaN before it reaches PostgresNIO, which cannot encode it.
    static func requireNumber(_ value: Decimal?, _ what: String, code: PoolKeeperError.Code) throws(PoolKeeperError) {
        if let value, value.isNaN {
            throw PoolKeeperError(code: code, message: "\(what) must be a number, not NaN")
        }
    }

    /// Runs `body`, translating any error into a ``PoolKeeperError``.
    func perform<Result>(_ body: () async throws -> Result) async throws(PoolKeeperError) -> Result {
        do {
            return try await body()
        } catch {
            throw PoolKeeperError(error)
        }
    }
}

/// A leased connection had already closed; lease another.
private struct ClosedConnectionLeased: Error {}
