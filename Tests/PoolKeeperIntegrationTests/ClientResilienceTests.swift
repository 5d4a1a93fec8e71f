import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import PostgresNIO
import Testing

@Suite("PoolKeeperClient under dropped connections and concurrency")
struct ClientResilienceTests {
    @Test("keyed posts while the client's connections are terminated again and again: each lands exactly once",
          .timeLimit(.minutes(2)))
    func keyedPostsSurviveTerminations() async throws {
        var settings = try ConnectionSettings.fromEnvironment()
        let applicationName = unique("pk-drop").replacingOccurrences(of: " ", with: "-")
        settings.applicationName = applicationName
        let policy = RetryPolicy(maximumAttempts: 30, initialDelay: .milliseconds(5), maximumDelay: .milliseconds(200))
        let workers = 4, postsPerWorker = 100
        let runTag = UUID().uuidString.prefix(8)
        try await TestDatabase.withClient(maximumConnections: workers, retryPolicy: policy, settings: settings) { client in
            let (pool, investors) = try await makePool(client, members: workers)
            let terminations = try await withThrowingTaskGroup(of: Int.self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        for index in 0..<postsPerWorker {
                            _ = try await client.contribute(Decimal(index + 1), pool: pool, investor: investors[worker],
                                                            idempotencyKey: "drop-\(runTag)-\(worker)-\(index)")
                        }
                        return -1
                    }
                }
                group.addTask {
                    // Again and again until the posts are done: lock the pool's positions, wait for
                    // posts to queue behind the locks, terminate their backends (each in the middle of
                    // its post, so that it may or may not have been applied), release the locks.
                    try await withRawConnection { killer in
                        var terminated = 0
                        while !Task.isCancelled {
                            do {
                                try await killer.query("BEGIN", logger: TestDatabase.logger)
                                try await killer.query(
                                    "SELECT 1 FROM poolkeeper.positions WHERE pool_id = \(pool.rawValue) FOR UPDATE",
                                    logger: TestDatabase.logger)
                                for _ in 0..<10 {
                                    try? await Task.sleep(for: .milliseconds(10))
                                    let rows = try await killer.query("""
                                        SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int FROM pg_stat_activity
                                         WHERE application_name = \(applicationName)
                                           AND pg_blocking_pids(pid) @> ARRAY[pg_backend_pid()]
                                        """, logger: TestDatabase.logger)
                                    var count = 0
                                    for try await killed in rows.decode(Int.self) { count = killed }
                                    terminated += count
                                    if count > 0 { break }
                                }
                                try await killer.query("COMMIT", logger: TestDatabase.logger)
                                try? await Task.sleep(for: .milliseconds(20))
                            } catch is CancellationError {
                                break  // the posts are done; an open transaction ends with the connection
                            }
                        }
                        return terminated
                    }
                }
                var finished = 0
                var terminations = 0
                for try await result in group {
                    if result == -1 {
                        finished += 1
                        if finished == workers { group.cancelAll() }
                    } else {
                        terminations = result
                    }
                }
                return terminations
            }
            #expect(terminations >= 5, "only \(terminations) backends were terminated")

            let keys = try await scalar(client, """
                SELECT count(DISTINCT idempotency_key) FROM poolkeeper.transactions
                 WHERE pool_id = \(pool.rawValue) AND idempotency_key LIKE \("drop-\(runTag)-%")
                """)
            #expect(keys == Int64(workers * postsPerWorker))
            let rows = try await client.transactions(in: pool, limit: 10_000).transactions
            #expect(rows.count == workers * postsPerWorker, "a post landed twice or not at all")
            let sum: Int = postsPerWorker * (postsPerWorker + 1) / 2
            let expected = Decimal(sum)
            for position in try await client.positions(in: pool) {
                #expect(position.contributed == expected)
            }
        }
    }

    // Known to fail: with PostgresNIO 1.33.2 a request can still wait forever when the server ends
    // a pooled connection while it is idle (two runs in three hung here). The library closes the
    // same gap for connections killed mid-query (see onLiveConnection); this one needs a fix in
    // PostgresNIO or a per-request deadline. Enable it to check a newer PostgresNIO.
    @Test("requests after the pool's idle connections were terminated never hang",
          .timeLimit(.minutes(1)), .disabled("PostgresNIO 1.33.2 can drop a query written to a pooled connection the server just ended"))
    func idleConnectionsTerminated() async throws {
        var settings = try ConnectionSettings.fromEnvironment()
        let applicationName = unique("pk-idle").replacingOccurrences(of: " ", with: "-")
        settings.applicationName = applicationName
        try await TestDatabase.withClient(maximumConnections: 4, settings: settings) { client in
            let (pool, _) = try await makePool(client, members: 2)
            var lost = 0, answered = 0
            for _ in 0..<20 {
                try await withRawConnection { killer in
                    for try await _ in try await killer.query("""
                        SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = \(applicationName)
                        """, logger: TestDatabase.logger) {}
                }
                // Each read either answers or fails with .connectionLost; none waits forever.
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            do throws(PoolKeeperError) {
                                _ = try await client.positions(in: pool)
                                return true
                            } catch {
                                #expect(error.code == .connectionLost, "\(error)")
                                return false
                            }
                        }
                    }
                    var outcomes: [Bool] = []
                    for await outcome in group { outcomes.append(outcome) }
                    return outcomes
                }
                answered += outcomes.filter { $0 }.count
                lost += outcomes.filter { !$0 }.count
            }
            #expect(answered + lost == 160)
            #expect(answered > 0)
            #expect(try await client.positions(in: pool).count == 2)
        }
    }

    @Test("8 tasks post, withdraw, charge fees and reverse through one client on the same positions; verify() finds nothing",
          .timeLimit(.minutes(2)))
    func eightTasksOneClient() async throws {
        try await TestDatabase.withClient(maximumConnections: 8) { client in
            let (pool, investors) = try await makePool(client, members: 3)
            let outcomes = try await withThrowingTaskGroup(of: [Decimal].self) { group in
                for task in 0..<8 {
                    group.addTask {
                        var random = SeededGenerator(seed: 20261122 &+ UInt64(task))
                        var net = [Decimal](repeating: 0, count: investors.count)  // the change this task made
                        var mine: [(TransactionID, Int, Decimal)] = []  // contributions it may reverse
                        for _ in 0..<150 {
                            let which = Int.random(in: 0..<investors.count, using: &random)
                            let amount = Decimal(Int.random(in: 1...5000, using: &random)) / 100
                            do {
                                switch Int.random(in: 0..<10, using: &random) {
                                case 0..<4:
                                    let id = try await client.contribute(amount, pool: pool, investor: investors[which])
                                    mine.append((id, which, amount))
                                    net[which] += amount
                                case 4..<7:
                                    _ = try await client.withdraw(amount, pool: pool, investor: investors[which])
                                    net[which] -= amount
                                case 7:
                                    _ = try await client.chargeFee(amount, pool: pool, investor: investors[which])
                                    net[which] -= amount
                                case 8:
                                    _ = try await client.distribute(amount, pool: pool, investor: investors[which])
                                default:
                                    guard let (id, investor, amount) = mine.popLast() else { continue }
                                    _ = try await client.reverse(id, reason: "test")
                                    net[investor] -= amount
                                }
                            } catch let error as PoolKeeperError where error.code == .insufficientPosition {
                                continue
                            }
                        }
                        return net
                    }
                }
                var total = [Decimal](repeating: 0, count: investors.count)
                for try await net in group {
                    for index in net.indices { total[index] += net[index] }
                }
                return total
            }
            #expect(try await client.verify() == [])
            let positions = try await client.positions(in: pool)
            let netInvested: [Decimal] = positions.map(\.netInvested)
            #expect(netInvested == outcomes, "net_invested differs from what the tasks were told")
            let noneNegative = positions.allSatisfy { $0.netInvested >= 0 }
            #expect(noneNegative)
        }
    }
}
