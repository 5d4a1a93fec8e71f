import Foundation
import Logging
import PoolKeeper
import PostgresNIO
import Testing

/// The private database the test script started (scripts/db), reached through
/// the libpq environment variables it exports.
enum TestDatabase {
    static let logger: Logger = {
        var logger = Logger(label: "poolkeeper-tests")
        // POOLKEEPER_TEST_LOG=debug (or trace, notice, ...) shows what the clients do.
        logger.logLevel = ProcessInfo.processInfo.environment["POOLKEEPER_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        return logger
    }()

    /// Runs `body` with a client connected as login role `role` (see `makeLoginRole`).
    static func withClient<Result: Sendable>(as role: String, _ body: (PoolKeeperClient) async throws -> Result) async throws -> Result {
        var settings = try ConnectionSettings.fromEnvironment()
        settings.username = role
        return try await withClient(settings: settings, body)
    }

    /// Runs `body` with a running client, and stops the client afterwards.
    static func withClient<Result: Sendable>(
        maximumConnections: Int = 8,
        retryPolicy: RetryPolicy = .default,
        settings: ConnectionSettings? = nil,
        _ body: (PoolKeeperClient) async throws -> Result
    ) async throws -> Result {
        let client = try PoolKeeperClient(settings: settings ?? .fromEnvironment(), maximumConnections: maximumConnections,
                                          retryPolicy: retryPolicy, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}

/// A pool with some members, made afresh for one test, as raw ids for SQL text.
struct Fixture: Sendable {
    let pool: Int64
    let investors: [Int64]

    static func create(_ client: PoolKeeperClient, investors count: Int, currency: String = "USD") async throws -> Fixture {
        let (pool, investors) = try await makePool(client, members: count, currency: currency)
        return Fixture(pool: pool.rawValue, investors: investors.map(\.rawValue))
    }
}

/// A manager's pool with `count` members, each with `commitment` if given, made through the library.
func makePool(_ client: PoolKeeperClient, members count: Int, currency: String = "USD",
              commitment: Decimal? = nil) async throws -> (PoolID, [InvestorID]) {
    let manager = try await client.createManager(name: unique("manager"))
    let pool = try await client.createPool(manager: manager, name: unique("pool"), currency: currency)
    var investors: [InvestorID] = []
    for index in 0..<count {
        let investor = try await client.createInvestor(name: unique("investor \(index)"))
        try await client.addInvestor(investor, to: pool, commitment: commitment)
        investors.append(investor)
    }
    return (pool, investors)
}

/// Runs a query and reads all its rows, so that an error the server raises
/// while producing them is thrown here.
func execute(_ client: PoolKeeperClient, _ query: PostgresQuery) async throws {
    for try await _ in try await client.postgres.query(query, logger: TestDatabase.logger) {}
}

/// A new login role for one test, a member of `group` when given. Roles
/// belong to the cluster, not to the test database: `dropRoles` removes them.
func makeLoginRole(_ client: PoolKeeperClient, in group: String? = nil) async throws -> String {
    let role = "pk_test_\(UUID().uuidString.prefix(8).lowercased())"
    try await execute(client, PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN" + (group.map { " IN ROLE \($0)" } ?? "")))
    return role
}

func dropRoles(_ client: PoolKeeperClient, _ roles: [String]) async throws {
    for role in roles { try await execute(client, PostgresQuery(unsafeSQL: "DROP ROLE IF EXISTS \(role)")) }
}

/// The single bigint a query returns.
func scalar(_ client: PoolKeeperClient, _ query: PostgresQuery) async throws -> Int64 {
    let rows = try await client.postgres.query(query, logger: TestDatabase.logger)
    for try await value in rows.decode(Int64.self) {
        return value
    }
    throw PoolKeeperError(code: .server, message: "no row from \(query.sql)")
}

/// Runs `body`, which must fail with a `PoolKeeperError` of `code` (and
/// `sqlState`, when given); any other outcome is recorded as a test failure.
func expectFailure(_ code: PoolKeeperError.Code, sqlState: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () async throws -> Void) async {
    do {
        try await body()
        Issue.record("expected \(code), but it succeeded", sourceLocation: sourceLocation)
    } catch {
        let error = PoolKeeperError(error)
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let sqlState {
            #expect(error.sqlState == sqlState, "\(error)", sourceLocation: sourceLocation)
        }
        #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    }
}

/// A name no other test uses.
func unique(_ prefix: String) -> String { "\(prefix) \(UUID().uuidString.prefix(8))" }
