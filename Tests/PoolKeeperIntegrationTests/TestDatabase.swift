import Foundation
import Logging
import PoolKeeper
import PostgresNIO

/// The private database the test script started (scripts/db), reached through
/// the libpq environment variables it exports.
enum TestDatabase {
    static let logger: Logger = {
        var logger = Logger(label: "poolkeeper-tests")
        logger.logLevel = .error
        return logger
    }()

    /// Runs `body` with a running client, and stops the client afterwards.
    static func withClient<Result: Sendable>(
        maximumConnections: Int = 8,
        _ body: (PoolKeeperClient) async throws -> Result
    ) async throws -> Result {
        let client = try PoolKeeperClient(settings: .fromEnvironment(), maximumConnections: maximumConnections, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// A pool with some members, made afresh for one test so tests can run side by side.
struct Fixture: Sendable {
    let pool: Int64
    let investors: [Int64]

    static func create(_ client: PoolKeeperClient, investors count: Int, currency: String = "USD") async throws -> Fixture {
        let tag = UUID().uuidString.prefix(8)
        let manager = try await scalar(client, "SELECT poolkeeper.create_manager(\("manager \(tag)"))")
        let pool = try await scalar(client, "SELECT poolkeeper.create_pool(\(manager), \("pool \(tag)"), \(currency))")
        var investors: [Int64] = []
        for index in 0..<count {
            let investor = try await scalar(client, "SELECT poolkeeper.create_investor(\("investor \(tag)-\(index)"))")
            try await execute(client, "SELECT poolkeeper.add_investor(\(pool), \(investor))")
            investors.append(investor)
        }
        return Fixture(pool: pool, investors: investors)
    }
}

/// Runs a query and reads all its rows, so that an error the server raises
/// while producing them is thrown here.
func execute(_ client: PoolKeeperClient, _ query: PostgresQuery) async throws {
    for try await _ in try await client.postgres.query(query, logger: TestDatabase.logger) {}
}

/// The single bigint a query returns.
func scalar(_ client: PoolKeeperClient, _ query: PostgresQuery) async throws -> Int64 {
    let rows = try await client.postgres.query(query, logger: TestDatabase.logger)
    for try await value in rows.decode(Int64.self) {
        return value
    }
    throw PoolKeeperError(code: .server, message: "no row from \(query.sql)")
}
