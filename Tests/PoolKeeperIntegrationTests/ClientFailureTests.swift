import Foundation
import PoolKeeper
import PostgresNIO
import Testing

/// The error codes no typed method can provoke by design (the typed API
/// cannot send a bad kind, update the ledger, or open a transaction), seen
/// through the raw connection and mapped by `PoolKeeperError(_:)`; and the
/// ones that need a second role, a second database or a lost connection.
@Suite("PoolKeeperClient: failure paths")
struct ClientFailureTests {
    @Test("a role without privileges gets .permissionDenied")
    func permissionDenied() async throws {
        let role = try await TestDatabase.withClient { try await makeLoginRole($0) }
        try await TestDatabase.withClient(as: role) { outsider in
            await expectFailure(.permissionDenied, sqlState: "42501") { _ = try await outsider.createManager(name: "intruder") }
            await expectFailure(.permissionDenied, sqlState: "42501") { _ = try await outsider.verify() }
        }
        try await TestDatabase.withClient { try await dropRoles($0, [role]) }  // roles belong to the cluster: leave none behind
    }

    @Test("a database without the extension gets .extensionNotInstalled")
    func extensionNotInstalled() async throws {
        var settings = try ConnectionSettings.fromEnvironment()
        settings.database = "postgres"
        try await TestDatabase.withClient(settings: settings) { client in
            await expectFailure(.extensionNotInstalled) { _ = try await client.extensionVersion() }
        }
    }

    @Test("malformed settings get .invalidConfiguration before connecting")
    func invalidConfiguration() async throws {
        await expectFailure(.invalidConfiguration) { _ = try ConnectionSettings.fromEnvironment(["PGPORT": "none"]) }
        await expectFailure(.invalidConfiguration) { _ = try ConnectionSettings(url: "mysql://db/x") }
    }

    @Test("a bad kind, a direct ledger update and a division by zero map to .invalidKind, .immutableLedger and .server")
    func rawStatementErrors() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let row = try await client.contribute(1, pool: pool, investor: investors[0])
            await expectFailure(.invalidKind, sqlState: "PKA04") {
                try await execute(client, "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investors[0].rawValue), 'gift', 1)")
            }
            await expectFailure(.immutableLedger, sqlState: "PKS09") {
                try await execute(client, "UPDATE poolkeeper.transactions SET amount = 2 WHERE id = \(row.rawValue)")
            }
            await expectFailure(.server, sqlState: "22012") { try await execute(client, "SELECT 1 / 0") }
        }
    }

    @Test("reading the feed after writing in one transaction is .feedAfterWrite")
    func feedAfterWrite() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            await expectFailure(.feedAfterWrite, sqlState: "PKS11") {
                try await withRawConnection { connection in
                    try await connection.query("BEGIN", logger: TestDatabase.logger)
                    try await connection.query(
                        "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investors[0].rawValue), 'contribution', 1)",
                        logger: TestDatabase.logger)
                    for try await _ in try await connection.query("SELECT * FROM poolkeeper.alerts_after(NULL)",
                                                                   logger: TestDatabase.logger) {}
                }
            }
        }
    }

    @Test("a repeatable-read post of a position changed since its snapshot is .serializationFailure")
    func serializationFailure() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            try await withRawConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ", logger: TestDatabase.logger)
                for try await _ in try await connection.query("SELECT count(*) FROM poolkeeper.positions", logger: TestDatabase.logger) {}
                _ = try await client.contribute(1, pool: pool, investor: investors[0])
                await expectFailure(.serializationFailure, sqlState: "40001") {
                    for try await _ in try await connection.query(
                        "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investors[0].rawValue), 'contribution', 1)",
                        logger: TestDatabase.logger) {}
                }
                try await connection.query("ROLLBACK", logger: TestDatabase.logger)
            }
        }
    }

    @Test("two transactions posting to two positions in opposite orders: one is .deadlockDetected",
          .timeLimit(.minutes(1)))
    func deadlock() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            func post(_ connection: PostgresConnection, _ investor: InvestorID) async throws {
                for try await _ in try await connection.query(
                    "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investor.rawValue), 'contribution', 1)",
                    logger: TestDatabase.logger) {}
            }
            let bothHoldTheirFirst = Barrier(parties: 2)
            let errors = try await withThrowingTaskGroup(of: PoolKeeperError?.self) { group in
                for (first, second) in [(investors[0], investors[1]), (investors[1], investors[0])] {
                    group.addTask {
                        try await withRawConnection { connection in
                            try await connection.query("BEGIN", logger: TestDatabase.logger)
                            try await post(connection, first)
                            await bothHoldTheirFirst.arrive()
                            do {
                                try await post(connection, second)
                                try await connection.query("COMMIT", logger: TestDatabase.logger)
                                return nil
                            } catch {
                                try await connection.query("ROLLBACK", logger: TestDatabase.logger)
                                return PoolKeeperError(error)
                            }
                        }
                    }
                }
                var errors: [PoolKeeperError] = []
                for try await error in group { if let error { errors.append(error) } }
                return errors
            }
            #expect(errors.map(\.code) == [.deadlockDetected], "\(errors)")
            #expect(errors.first?.sqlState == "40P01")
        }
    }

    @Test("a post without a key whose connection is lost fails with .connectionLost and is not retried",
          .timeLimit(.minutes(1)))
    func unkeyedPostIsNotRetried() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            try await withBlockedPost(client, pool: pool, investor: investors[0], key: nil) { outcome in
                guard case .failure(let error) = outcome else { Issue.record("the post succeeded: \(outcome)"); return }
                #expect(error.code == .connectionLost, "\(error)")
            }
            #expect(try await client.transactions(in: pool).transactions.isEmpty)
        }
    }

    @Test("a keyed post whose connection is lost mid-post is retried and lands exactly once", .timeLimit(.minutes(1)))
    func keyedPostIsRetried() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let key = unique("retried")
            try await withBlockedPost(client, pool: pool, investor: investors[0], key: key) { outcome in
                #expect((try? outcome.get()) != nil, "\(outcome)")
            }
            let rows = try await client.transactions(in: pool).transactions
            #expect(rows.count == 1)
            #expect(rows.first?.idempotencyKey == key)
        }
    }
}

/// Runs `body` on a connection of its own, outside the client's pool, so
/// that a transaction it leaves open never reaches another test.
func withRawConnection<T>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
    let connection = try await PostgresConnection.connect(
        configuration: ConnectionSettings.fromEnvironment().connectionConfiguration(), id: 99, logger: TestDatabase.logger)
    do {
        let result = try await body(connection)
        try await connection.close()
        return result
    } catch {
        try? await connection.close()
        throw error
    }
}

/// Posts a contribution of 1 while another connection holds the position's
/// row lock, terminates the post's backend while it waits, then releases the
/// lock and hands `check` what the post returned.
func withBlockedPost(_ client: PoolKeeperClient, pool: PoolID, investor: InvestorID, key: String?,
                     _ check: (Result<TransactionID, PoolKeeperError>) -> Void) async throws {
    let outcome = try await withRawConnection { connection in
        try await connection.query("BEGIN", logger: TestDatabase.logger)
        for try await _ in try await connection.query(
            "SELECT 1 FROM poolkeeper.positions WHERE pool_id = \(pool.rawValue) AND investor_id = \(investor.rawValue) FOR UPDATE",
            logger: TestDatabase.logger) {}
        return try await withThrowingTaskGroup(of: Result<TransactionID, PoolKeeperError>?.self) { group in
            group.addTask {
                do throws(PoolKeeperError) {
                    return .success(try await client.contribute(1, pool: pool, investor: investor, idempotencyKey: key))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                // Wait for the post to queue on the lock, terminate it, and let the retry (if any) queue again.
                let waiting: PostgresQuery = """
                    SELECT pid FROM pg_stat_activity WHERE pg_blocking_pids(pid) @> ARRAY[pg_backend_pid()]
                    """
                var terminated = false
                for _ in 0..<500 where !terminated {  // 10 s at most
                    try await Task.sleep(for: .milliseconds(20))
                    // This connection is inside a transaction: drop its cached view of pg_stat_activity.
                    for try await _ in try await connection.query("SELECT pg_stat_clear_snapshot()", logger: TestDatabase.logger) {}
                    for try await pid in try await connection.query(waiting, logger: TestDatabase.logger).decode(Int32.self) {
                        for try await _ in try await connection.query("SELECT pg_terminate_backend(\(pid))", logger: TestDatabase.logger) {}
                        terminated = true
                    }
                }
                if !terminated { Issue.record("the post never queued behind the lock") }
                try await Task.sleep(for: .milliseconds(300))
                try await connection.query("COMMIT", logger: TestDatabase.logger)
                return nil
            }
            var outcome: Result<TransactionID, PoolKeeperError>?
            for try await result in group { if let result { outcome = result } }
            return outcome!
        }
    }
    check(outcome)
}

/// Suspends each caller of `arrive()` until `parties` callers have arrived.
actor Barrier {
    private let parties: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(parties: Int) { self.parties = parties }

    func arrive() async {
        if waiting.count + 1 >= parties {
            waiting.forEach { $0.resume() }
            waiting = []
        } else {
            await withCheckedContinuation { waiting.append($0) }
        }
    }
}
