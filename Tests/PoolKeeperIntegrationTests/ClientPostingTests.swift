import Foundation
import PoolKeeper
import Testing

@Suite("PoolKeeperClient: posting money and reading positions")
struct ClientPostingTests {
    @Test("each kind of post moves the position exactly, and the ledger shows it")
    func everyKind() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let investor = investors[0]
            let occurred = Date(timeIntervalSince1970: 1_700_000_000)
            let contribution = try await client.contribute(Decimal(string: "1000.10")!, pool: pool, investor: investor,
                                                           occurredAt: occurred, metadata: ["wire": "W-1"])
            _ = try await client.withdraw(Decimal(string: "100.05")!, pool: pool, investor: investor)
            _ = try await client.distribute(Decimal(string: "50.01")!, pool: pool, investor: investor)
            _ = try await client.chargeFee(Decimal(string: "0.02")!, pool: pool, investor: investor)
            _ = try await client.post(.contribution, Decimal(string: "0.20")!, pool: pool, investor: investor)

            let position = try await client.position(pool: pool, investor: investor)
            #expect(position.contributed == Decimal(string: "1000.30")!)
            #expect(position.withdrawn == Decimal(string: "100.05")!)
            #expect(position.distributed == Decimal(string: "50.01")!)
            #expect(position.fees == Decimal(string: "0.02")!)
            #expect(position.netInvested == Decimal(string: "900.23")!)
            #expect(position.currency == "USD")
            #expect(position.isOpen)

            let page = try await client.transactions(in: pool)
            #expect(page.transactions.map(\.kind) == [.contribution, .withdrawal, .distribution, .fee, .contribution])
            #expect(page.next == nil)
            let first = try #require(page.transactions.first)
            #expect(first.id == contribution)
            #expect(first.amount == Money(Decimal(string: "1000.10")!, "USD"))
            #expect(first.occurredAt == occurred)
            #expect(first.metadata == ["wire": "W-1"])
            #expect(!first.isReversal)
            #expect(first.recordedAt > occurred)
        }
    }

    @Test("metadata a SQL caller wrote with JSON null and nested values reads back as text")
    func foreignMetadata() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            try await execute(client, """
                SELECT poolkeeper.post_transaction(\(pool.rawValue), \(investors[0].rawValue), 'contribution', 1,
                                                   p_metadata => '{"note": null, "batch": {"n": 1}, "ok": true}')
                """)
            let row = try #require(try await client.transactions(in: pool).transactions.first)
            #expect(row.metadata == ["note": "null", "batch": #"{"n": 1}"#, "ok": "true"])
        }
    }

    @Test("a keyed post replays its original; the same key for another request is refused")
    func idempotency() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let key = unique("key")
            let first = try await client.contribute(10, pool: pool, investor: investors[0], idempotencyKey: key)
            let again = try await client.contribute(10, pool: pool, investor: investors[0], idempotencyKey: key)
            #expect(first == again)
            await expectFailure(.idempotencyConflict, sqlState: "PKS08") {
                _ = try await client.contribute(11, pool: pool, investor: investors[0], idempotencyKey: key)
            }
            #expect(try await client.position(pool: pool, investor: investors[0]).contributed == 10)
        }
    }

    @Test("bad amounts, non-members, unknown pools and overdrafts are refused and change nothing")
    func refusals() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let investor = investors[0]
            _ = try await client.contribute(5, pool: pool, investor: investor)
            for amount in [Decimal(0), Decimal(-1), Decimal(string: "0.001")!] {
                await expectFailure(.invalidAmount, sqlState: "PKA02") {
                    _ = try await client.contribute(amount, pool: pool, investor: investor)
                }
            }
            // NaN never reaches the database (PostgresNIO cannot encode it).
            await expectFailure(.invalidAmount) { _ = try await client.contribute(.nan, pool: pool, investor: investor) }
            await expectFailure(.invalidAmount) {
                try await client.addInvestor(try await client.createInvestor(name: unique("nan")), to: pool, commitment: .nan)
            }
            await expectFailure(.insufficientPosition, sqlState: "PKS04") {
                _ = try await client.withdraw(Decimal(string: "5.01")!, pool: pool, investor: investor)
            }
            await expectFailure(.insufficientPosition, sqlState: "PKS04") {
                _ = try await client.chargeFee(6, pool: pool, investor: investor)
            }
            let outsider = try await client.createInvestor(name: unique("outsider"))
            await expectFailure(.notAMember, sqlState: "PKS02") {
                _ = try await client.contribute(1, pool: pool, investor: outsider)
            }
            await expectFailure(.notFound, sqlState: "PKN01") {
                _ = try await client.contribute(1, pool: PoolID(rawValue: Int64.max), investor: investor)
            }
            await expectFailure(.invalidArgument, sqlState: "PKA01") {
                _ = try await client.contribute(1, pool: pool, investor: investor, idempotencyKey: "")
            }
            let position = try await client.position(pool: pool, investor: investor)
            #expect(position.contributed == 5)
            #expect(position.withdrawn == 0)
            #expect(position.fees == 0)
            #expect(try await client.transactions(in: pool).transactions.count == 1)
        }
    }

    @Test("a reversal undoes its row once; a reversal is never reversed")
    func reversals() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let row = try await client.contribute(40, pool: pool, investor: investors[0])
            let reversal = try await client.reverse(row, reason: "wrong investor")
            #expect(try await client.position(pool: pool, investor: investors[0]).contributed == 0)
            await expectFailure(.alreadyReversed, sqlState: "PKS06") { _ = try await client.reverse(row, reason: "again") }
            await expectFailure(.notReversible, sqlState: "PKS07") { _ = try await client.reverse(reversal, reason: "undo") }
            await expectFailure(.notFound, sqlState: "PKN04") {
                _ = try await client.reverse(TransactionID(rawValue: Int64.max), reason: "none")
            }
            await expectFailure(.invalidArgument, sqlState: "PKA01") {
                _ = try await client.reverse(try await client.contribute(1, pool: pool, investor: investors[0]), reason: "")
            }
            let rows = try await client.transactions(in: pool).transactions
            let reversed = try #require(rows.first { $0.id == reversal })
            #expect(reversed.reverses == row)
            #expect(reversed.metadata["reason"] == "wrong investor")
            #expect(reversed.kind == .contribution)
            #expect(reversed.amount.amount == 40)
        }
    }

    @Test("positions by pool and by investor; the ledger in pages, per investor")
    func readingPositionsAndPages() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            let (otherPool, _) = try await makePool(client, members: 0)
            try await client.addInvestor(investors[0], to: otherPool)
            for index in 1...5 {
                _ = try await client.contribute(Decimal(index), pool: pool, investor: investors[index % 2])
            }
            _ = try await client.contribute(7, pool: otherPool, investor: investors[0])

            let inPool = try await client.positions(in: pool)
            #expect(inPool.map(\.investorID) == investors.sorted())
            let contributed: Decimal = inPool.map(\.contributed).reduce(Decimal(0)) { $0 + $1 }
            #expect(contributed == Decimal(15))
            let ofInvestor = try await client.positions(of: investors[0])
            #expect(ofInvestor.map(\.poolID) == [pool, otherPool].sorted())
            #expect(try await client.positions(of: try await client.createInvestor(name: unique("new"))).isEmpty)
            await expectFailure(.notFound) { _ = try await client.positions(in: PoolID(rawValue: Int64.max)) }
            await expectFailure(.notFound) { _ = try await client.positions(of: InvestorID(rawValue: Int64.max)) }
            await expectFailure(.notFound) { _ = try await client.position(pool: otherPool, investor: investors[1]) }

            var seen: [TransactionID] = []
            var after: TransactionID?
            repeat {
                let page = try await client.transactions(in: pool, after: after, limit: 2)
                #expect(page.transactions.count <= 2)
                seen += page.transactions.map(\.id)
                after = page.next
            } while after != nil
            #expect(seen.count == 5)
            #expect(seen == seen.sorted())
            let odd = try await client.transactions(in: pool, investor: investors[1], limit: 10)
            let oddAmounts: [Decimal] = odd.transactions.map(\.amount.amount)
            #expect(oddAmounts == [Decimal(1), Decimal(3), Decimal(5)])
            await expectFailure(.invalidArgument) { _ = try await client.transactions(in: pool, limit: 0) }
            await expectFailure(.notFound) { _ = try await client.transactions(in: PoolID(rawValue: Int64.max)) }
        }
    }
}
