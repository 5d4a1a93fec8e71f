import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import Testing

@Suite("PoolKeeperClient: batch posting")
struct ClientBatchTests {
    @Test("a batch returns its ids in the order given and moves the positions as single posts do")
    func orderAndEffect() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            let (ann, bob) = (investors[0], investors[1])
            let occurred = Date(timeIntervalSince1970: 1_700_000_000.5)
            let batch = [
                PostRequest(.contribution, Decimal(string: "98765432109876.54")!, pool: pool, investor: bob),
                PostRequest(.contribution, Decimal(string: "2500.50")!, pool: pool, investor: ann,
                            occurredAt: occurred, metadata: ["wire": "W-7"]),
                PostRequest(.withdrawal, 500, pool: pool, investor: ann),
                PostRequest(.fee, Decimal(string: "12.25")!, pool: pool, investor: ann),
                PostRequest(.distribution, 40, pool: pool, investor: bob),
            ]
            let ids = try await client.postBatch(batch)
            #expect(ids.count == batch.count)
            #expect(Set(ids).count == batch.count)
            let rows = Dictionary(uniqueKeysWithValues: try await client.transactions(in: pool).transactions.map { ($0.id, $0) })
            for (id, post) in zip(ids, batch) {
                let row = try #require(rows[id])
                #expect(row.kind == post.kind && row.amount.amount == post.amount && row.investorID == post.investor)
            }
            #expect(rows[ids[1]]?.occurredAt == occurred)
            #expect(rows[ids[1]]?.metadata == ["wire": "W-7"])
            #expect(ids[1] < ids[0], "Ann's posts go first: the database posts investor by investor")

            let position = try await client.position(pool: pool, investor: ann)
            #expect(position.contributed == Decimal(string: "2500.50")!)
            #expect(position.netInvested == Decimal(string: "1988.25")!)
            #expect(try await client.position(pool: pool, investor: bob).contributed == Decimal(string: "98765432109876.54")!)
        }
    }

    @Test("a refused post refuses the whole batch, names its place, and writes nothing")
    func allOrNothing() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            _ = try await client.contribute(100, pool: pool, investor: investors[0])
            let before = try await client.transactions(in: pool).transactions.count
            do throws(PoolKeeperError) {
                _ = try await client.postBatch([
                    PostRequest(.contribution, 5, pool: pool, investor: investors[1]),
                    PostRequest(.contribution, 5, pool: pool, investor: investors[0]),
                    PostRequest(.withdrawal, 1000, pool: pool, investor: investors[0]),
                ])
                Issue.record("a batch with an overdraft was accepted")
            } catch {
                #expect(error.code == .insufficientPosition)
                #expect(error.sqlState == "PKS04")
                #expect(error.message.hasPrefix("post 3: "), "\(error.message)")
            }
            #expect(try await client.transactions(in: pool).transactions.count == before)
            #expect(try await client.position(pool: pool, investor: investors[1]).contributed == 0)
            await expectFailure(.invalidAmount) {
                _ = try await client.postBatch([PostRequest(.contribution, 1, pool: pool, investor: investors[0]),
                                                PostRequest(.contribution, Decimal.nan, pool: pool, investor: investors[0])])
            }
        }
    }

    @Test("a keyed batch replays, also against the same posts made alone, to the microsecond")
    func replays() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            // Times with digits below the microsecond, before and after 1970 and 2000.
            let times = [Date(timeIntervalSince1970: 1_700_000_000.1234567), Date(timeIntervalSince1970: -14_182_939.4999996),
                         Date(timeIntervalSince1970: 946_684_799.9999995)]
            let single = try await client.contribute(7, pool: pool, investor: investors[0], idempotencyKey: unique("alone"),
                                                     occurredAt: times[1])
            let alone = try #require(try await client.transactions(in: pool).transactions.first { $0.id == single })
            let batch = times.enumerated().map { index, time in
                PostRequest(.contribution, Decimal(index + 1), pool: pool, investor: investors[index % 2],
                            idempotencyKey: unique("batch \(index)"), occurredAt: time)
            } + [PostRequest(.contribution, 7, pool: pool, investor: investors[0], idempotencyKey: alone.idempotencyKey,
                             occurredAt: times[1])]
            let first = try await client.postBatch(batch)
            #expect(first[3] == single, "the post made alone replays inside the batch")
            #expect(try await client.postBatch(batch) == first, "the whole batch replays")
            #expect(try await client.contribute(2, pool: pool, investor: investors[1], idempotencyKey: batch[1].idempotencyKey,
                                                occurredAt: times[1]) == first[1], "a post of the batch replays alone")
            let rows = try await client.transactions(in: pool).transactions
            #expect(rows.count == 4)
            for (id, time) in zip(first, times) {
                let stored = try #require(rows.first { $0.id == id }?.occurredAt)
                #expect(abs(stored.timeIntervalSince(time)) < 0.000_001)
            }
            await expectFailure(.idempotencyConflict, sqlState: "PKS08") {
                _ = try await client.postBatch([PostRequest(.contribution, 8, pool: pool, investor: investors[0],
                                                            idempotencyKey: batch[0].idempotencyKey, occurredAt: times[0])])
            }
        }
    }

    @Test("concurrent batches over the same investors, each in its own order, never deadlock")
    func noDeadlocks() async throws {
        try await TestDatabase.withClient(maximumConnections: 4) { client in
            var pools: [PoolID] = []
            var investors: [InvestorID] = []
            let manager = try await client.createManager(name: unique("manager"))
            for _ in 0..<2 { pools.append(try await client.createPool(manager: manager, name: unique("pool"), currency: "USD")) }
            for index in 0..<6 {
                let investor = try await client.createInvestor(name: unique("investor \(index)"))
                for pool in pools { try await client.addInvestor(investor, to: pool) }
                investors.append(investor)
            }
            let (rounds, size) = (12, 24)
            let posted = try await withThrowingTaskGroup(of: Int.self) { group in
                for task in 0..<4 {
                    let (pools, investors) = (pools, investors)
                    group.addTask {
                        var generator = SeededGenerator(seed: UInt64(task + 1))
                        var count = 0
                        for _ in 0..<rounds {
                            let batch = (0..<size).map { _ in
                                PostRequest(.contribution, 1, pool: pools.randomElement(using: &generator)!,
                                            investor: investors.randomElement(using: &generator)!)
                            }
                            count += try await client.postBatch(batch).count  // unkeyed: a deadlock would throw
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(posted == 4 * rounds * size)
            var total = Decimal(0)
            for pool in pools {
                for investor in investors { total += try await client.position(pool: pool, investor: investor).contributed }
            }
            #expect(total == Decimal(posted))
            #expect(try await client.verify().isEmpty)
        }
    }
}
