import ArgumentParser
import Logging
import PoolKeeper

/// Options every subcommand that talks to the database accepts.
struct ConnectionOptions: ParsableArguments {
    @Option(name: [.customLong("database-url"), .customLong("url")],
            help: "A postgres:// URL; by default the libpq environment variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) are used.")
    var url: String?

    @Option(name: .long, help: "Seconds to wait for the database before giving up.")
    var timeout: Int = 10

    func validate() throws {
        guard timeout > 0 else { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func settings() throws -> ConnectionSettings {
        if let url { return try ConnectionSettings(url: url) }
        return try ConnectionSettings.fromEnvironment()
    }

    /// Runs `client` and `body` side by side and returns what `body` returns,
    /// or fails with `.connectionLost` when no answer comes within --timeout
    /// seconds (PostgresNIO's pool keeps retrying a dead server for a minute).
    func withTimeout<Result: Sendable>(running client: PoolKeeperClient,
                                       _ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
        let seconds = timeout
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await client.run(); return nil }
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                throw PoolKeeperError(code: .connectionLost, message: "no answer from the database within \(seconds) s")
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw CancellationError()
        }
    }

    /// Connects with one connection, checks it (a wrong password or database
    /// is reported at once, in the server's words), runs `body` and returns
    /// what it returns. A refused request or an unreachable server prints one
    /// line on standard error and exits 1.
    func request<Result: Sendable>(_ body: @escaping @Sendable (PoolKeeperClient) async throws -> Result) async throws -> Result {
        var logger = Logger(label: "poolkeeper")
        logger.logLevel = .error
        let client = try PoolKeeperClient(settings: settings(), maximumConnections: 1, logger: logger)
        do {
            return try await withTimeout(running: client) {
                try await client.checkConnection()
                return try await body(client)
            }
        } catch let error as PoolKeeperError {
            printError("poolkeeper: \(error)")
            throw ExitCode.failure
        }
    }
}
