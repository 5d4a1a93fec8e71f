import Foundation
import Logging
import PoolKeeper
import PoolKeeperTestSupport
import PostgresNIO

/// One raw-SQL client, as psql or another language would be, on a
/// connection of its own that it opens again after a fault. Its mix: keyed
/// posts (sent again under the same key when the answer is lost), two-row
/// transactions (both rows or neither), transactions it rolls back (their
/// rows, keyed "uncommitted-...", must never be seen), and withdrawals.
struct SQLWorker: Sendable {
    let index: Int
    let settings: ConnectionSettings
    let world: StressWorld
    let journal: Journal
    let watchdog: Watchdog
    let seed: UInt64
    let logger: Logger

    func run(until deadline: ContinuousClock.Instant) async {
        var random = SeededGenerator(seed: seed)
        let session = SQLSession(settings: settings, id: index, logger: logger)
        var serial = 0
        while ContinuousClock.now < deadline {
            serial += 1
            await watchdog.begin(index, "connecting")
            guard let connection = await session.connection() else {
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            let pool = world.pick(using: &random)
            let investor = pool.members[Int.random(in: 0..<pool.members.count, using: &random)]
            let amount = randomAmount(1, 800, using: &random)
            let key = "sql-\(seed)-\(index)-\(serial)"
            let roll = Int.random(in: 0..<10, using: &random)
            await watchdog.begin(index, "operation \(serial) (roll \(roll))")
            switch roll {
            case 0..<5:
                await keyedPost(session, pool: pool.id, investor: investor, amount: amount, key: key, until: deadline)
            case 5..<7:
                await pair(connection, session, pool: pool.id, investor: investor, amount: amount, key: key)
            case 7..<9:
                await rolledBack(connection, session, pool: pool.id, investor: investor, amount: amount, key: key,
                                 pause: .milliseconds(Int.random(in: 0...30, using: &random)))
            default:
                do {
                    let id = try await committed(connection, session, "SELECT poolkeeper.post_transaction(\(pool.id.rawValue), \(investor.rawValue), 'withdrawal', \(amount))")
                    await journal.acknowledge("sql withdrawal", row: id)
                } catch {
                    await journal.failed("sql withdrawal", PoolKeeperError(error))
                }
            }
        }
        await watchdog.end(index)
        await session.close()
    }

    /// A keyed contribution; after a lost answer, the same request on a new connection.
    func keyedPost(_ session: SQLSession, pool: PoolID, investor: InvestorID, amount: Decimal, key: String,
                   until deadline: ContinuousClock.Instant) async {
        let giveUp = deadline + .seconds(60)
        while true {
            do {
                guard let current = await session.connection() else {
                    throw PoolKeeperError(code: .connectionLost, message: "cannot connect")
                }
                let id = try await committed(current, session, "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investor.rawValue), 'contribution', \(amount), \(key))")
                await journal.acknowledge("sql keyed post", row: id, key: key)
                return
            } catch {
                let error = PoolKeeperError(error)
                guard case .lostAnswer = StressOutcome(error), ContinuousClock.now < giveUp else {
                    await journal.failed("sql keyed post", error)
                    return
                }
                try? await Task.sleep(for: .milliseconds(200))
                await session.reset()
            }
        }
    }

    /// Two contributions in one transaction: acknowledged when COMMIT answers.
    func pair(_ connection: PostgresConnection, _ session: SQLSession, pool: PoolID, investor: InvestorID, amount: Decimal, key: String) async {
        var committing = false
        do {
            try await run(connection, "BEGIN")
            let first = try await guardedScalar(connection, "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investor.rawValue), 'contribution', \(amount), \(key + "-a"))")
            let second = try await guardedScalar(connection, "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investor.rawValue), 'contribution', \(amount), \(key + "-b"))")
            committing = true
            try await run(connection, "COMMIT")
            await journal.acknowledge("sql two-row transaction", row: first, key: key + "-a")
            await journal.acknowledge("sql two-row transaction", row: second, key: key + "-b")
        } catch {
            let error = PoolKeeperError(error)
            if committing, case .lostAnswer = StressOutcome(error) {
                await journal.pairInDoubt(key + "-a", key + "-b")
            } else {
                await journal.failed("sql two-row transaction", error, mayHaveWritten: 0)
            }
            await session.endTransaction(after: error, on: connection, with: self)
        }
    }

    /// A contribution in a transaction that is rolled back (or cut off by a fault).
    func rolledBack(_ connection: PostgresConnection, _ session: SQLSession, pool: PoolID, investor: InvestorID, amount: Decimal, key: String,
                    pause: Duration) async {
        do {
            try await run(connection, "BEGIN")
            _ = try await guardedScalar(connection, "SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investor.rawValue), 'contribution', \(amount), \("uncommitted-" + key))")
            try await Task.sleep(for: pause)
            try await run(connection, "ROLLBACK")
            await journal.acknowledge("sql rolled back")
        } catch {
            await journal.failed("sql rolled back", PoolKeeperError(error), mayHaveWritten: 0)
            await session.endTransaction(after: error, on: connection, with: self)
        }
    }
}

extension SQLWorker {
    /// Runs a statement, giving up after 30 s without an answer (see withinDeadline).
    func run(_ connection: PostgresConnection, _ sql: String) async throws {
        try await withinDeadline(.seconds(30), sql) { [logger] in
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// One write in a transaction of its own, acknowledged once COMMIT has
    /// answered: PostgresNIO ends a statement at its CommandComplete, which
    /// comes before the commit of a statement outside a transaction block,
    /// so that answer alone does not mean committed. On a failure the
    /// transaction is rolled back, or the connection dropped.
    func committed(_ connection: PostgresConnection, _ session: SQLSession, _ query: PostgresQuery) async throws -> Int64 {
        do {
            try await run(connection, "BEGIN")
            let value = try await guardedScalar(connection, query)
            try await run(connection, "COMMIT")
            return value
        } catch {
            await session.endTransaction(after: error, on: connection, with: self)
            throw error
        }
    }

    /// `scalar`, giving up after 30 s without an answer.
    func guardedScalar(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> Int64 {
        try await withinDeadline(.seconds(30), query.sql) { [logger] in try await scalar(connection, query, logger: logger) }
    }
}

/// The first column of the first row of `query`, as an Int64.
func scalar(_ connection: PostgresConnection, _ query: PostgresQuery, logger: Logger = Logger(label: "poolkeeper-stress")) async throws -> Int64 {
    let rows = try await connection.query(query, logger: logger)
    for try await row in rows {
        return try row.decode(Int64.self)
    }
    throw PoolKeeperError(code: .server, message: "no row")
}

/// A raw-SQL client's connection, opened again after a fault; PostgresNIO
/// wants every connection closed before it is let go.
actor SQLSession {
    let settings: ConnectionSettings
    let id: Int
    let logger: Logger
    private var current: PostgresConnection?

    init(settings: ConnectionSettings, id: Int, logger: Logger) {
        self.settings = settings
        self.id = id
        self.logger = logger
    }

    /// The open connection, or a new one; nil when the server cannot be reached.
    func connection() async -> PostgresConnection? {
        if let current, !current.isClosed { return current }
        await reset()
        current = try? await PostgresConnection.connect(configuration: settings.connectionConfiguration(), id: id, logger: logger)
        return current
    }

    /// Closes the connection; the next `connection()` opens another.
    func reset() async {
        try? await current?.close()
        current = nil
    }

    func close() async { await reset() }

    /// Ends a transaction that failed: ROLLBACK on a healthy connection, else a new connection.
    func endTransaction(after error: any Error, on connection: PostgresConnection, with worker: SQLWorker) async {
        if case .lostAnswer = StressOutcome(PoolKeeperError(error)) {
            await reset()
        } else if (try? await worker.run(connection, "ROLLBACK")) == nil {
            await reset()
        }
    }
}
