import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import PostgresNIO
import Testing

/// What one client did during the concurrency test.
struct Tally: Sendable {
    var posted: [String: Int] = [:]
    var rejected: [String: Int] = [:]
    var unexpected: [String] = []

    mutating func merge(_ other: Tally) {
        posted.merge(other.posted, uniquingKeysWith: +)
        rejected.merge(other.rejected, uniquingKeysWith: +)
        unexpected += other.unexpected
    }

    var postCount: Int { posted.values.reduce(0, +) }
    var rejectionCount: Int { rejected.values.reduce(0, +) }
}

@Suite("Concurrency")
struct ConcurrencyTests {
    static let clients = 16
    static let positions = 10
    /// POOLKEEPER_STRESS_SECONDS shortens or lengthens the run (default 30).
    static let seconds = Int(ProcessInfo.processInfo.environment["POOLKEEPER_STRESS_SECONDS"] ?? "") ?? 30
    static let seed = UInt64(ProcessInfo.processInfo.environment["POOLKEEPER_STRESS_SEED"] ?? "") ?? 20261122

    @Test("16 clients post contributions, withdrawals, fees and reversals on the same 10 positions; every invariant holds")
    func hammerTheSamePositions() async throws {
        try await TestDatabase.withClient(maximumConnections: Self.clients + 1) { client in
            let fixture = try await Fixture.create(client, investors: Self.positions)
            let deadline = ContinuousClock.now + .seconds(Self.seconds)
            var total = Tally()
            try await withThrowingTaskGroup(of: Tally.self) { group in
                for worker in 0..<Self.clients {
                    group.addTask {
                        try await client.postgres.withConnection { connection in
                            try await Self.work(connection, fixture: fixture, seed: Self.seed &+ UInt64(worker), until: deadline)
                        }
                    }
                }
                for try await tally in group { total.merge(tally) }
            }

            #expect(total.unexpected.isEmpty, "unexpected errors: \(total.unexpected.prefix(5))")
            #expect(total.rejected["PKS04", default: 0] > 0, "the mix should run positions dry now and then")
            #expect(total.postCount > 0)
            let problems = try await scalar(client, "SELECT count(*) FROM poolkeeper.verify()")
            #expect(problems == 0, "verify() found \(problems) problems")
            let negative = try await scalar(client,
                "SELECT count(*) FROM poolkeeper.positions WHERE pool_id = \(fixture.pool) AND net_invested < 0")
            #expect(negative == 0)
            let rows = try await scalar(client, "SELECT count(*) FROM poolkeeper.transactions WHERE pool_id = \(fixture.pool)")
            #expect(rows == Int64(total.postCount), "every acknowledged post is in the ledger, and nothing else")
            print("""
                concurrency: \(Self.clients) clients, \(Self.positions) positions, \(Self.seconds) s, seed \(Self.seed): \
                \(total.postCount) posts (\(Self.describe(total.posted))), \
                \(total.rejectionCount) rejections (\(Self.describe(total.rejected))), \
                \(total.unexpected.count) unexpected errors, verify() problems \(problems)
                """)
        }
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    /// One client's loop: a seeded mix of posts and reversals until the deadline.
    static func work(_ connection: PostgresConnection, fixture: Fixture, seed: UInt64,
                     until deadline: ContinuousClock.Instant) async throws -> Tally {
        var random = SeededGenerator(seed: seed)
        var tally = Tally()
        var reversible: [Int64] = []
        while ContinuousClock.now < deadline {
            let investor = fixture.investors[Int.random(in: 0..<fixture.investors.count, using: &random)]
            let cents = Decimal(Int.random(in: 1...100_000, using: &random)) / 100
            let roll = Int.random(in: 0..<100, using: &random)
            let (label, query): (String, PostgresQuery)
            switch roll {
            case 0..<35:
                (label, query) = try ("contribution", "SELECT poolkeeper.post_transaction(\(fixture.pool), \(investor), 'contribution', \(cents))")
            case 35..<75:
                (label, query) = try ("withdrawal", "SELECT poolkeeper.post_transaction(\(fixture.pool), \(investor), 'withdrawal', \(cents))")
            case 75..<85:
                let fee = Decimal(Int.random(in: 1...10_000, using: &random)) / 100
                (label, query) = try ("fee", "SELECT poolkeeper.post_transaction(\(fixture.pool), \(investor), 'fee', \(fee))")
            default:
                // Reverse one of this client's rows; now and then one already reversed.
                guard let target = reversible.randomElement(using: &random) else { continue }
                (label, query) = ("reversal", "SELECT poolkeeper.reverse_transaction(\(target), 'concurrency test')")
            }
            do {
                let rows = try await connection.query(query, logger: TestDatabase.logger)
                for try await id in rows.decode(Int64.self) where label != "reversal" {
                    reversible.append(id)
                }
                tally.posted[label, default: 0] += 1
            } catch {
                let error = PoolKeeperError(error)
                if let state = error.sqlState, state == "PKS04" || state == "PKS06" {
                    tally.rejected[state, default: 0] += 1
                } else {
                    tally.unexpected.append(error.description)
                }
            }
        }
        return tally
    }
}
