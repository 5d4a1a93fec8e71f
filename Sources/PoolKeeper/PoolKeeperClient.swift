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
    let logger: Logger

    public init(settings: ConnectionSettings, maximumConnections: Int = 20,
                logger: Logger = Logger(label: "poolkeeper")) throws {
        var configuration = try settings.postgresConfiguration()
        configuration.options.maximumConnections = maximumConnections
        self.postgres = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.settings = settings
        self.logger = logger
    }

    /// Runs the connection pool until the surrounding task is cancelled.
    public func run() async throws {
        await postgres.run()
    }

    /// The version of the poolkeeper extension installed in the database.
    /// Throws `.extensionNotInstalled` when it is not installed.
    public func extensionVersion() async throws(PoolKeeperError) -> String {
        let version = try await perform { () async throws -> String? in
            let rows = try await postgres.query(
                "SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'poolkeeper'", logger: logger)
            for try await version in rows.decode(String.self) {
                return version
            }
            return nil
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

    /// Runs `body`, translating any error into a ``PoolKeeperError``.
    func perform<Result>(_ body: () async throws -> Result) async throws(PoolKeeperError) -> Result {
        do {
            return try await body()
        } catch {
            throw PoolKeeperError(error)
        }
    }
}
