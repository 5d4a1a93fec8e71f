import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import Testing

@Suite("PoolKeeperClient: reports")
struct ClientReportTests {
    /// 1987-01-01T00:00:00Z plus `days`: a period no other test posts in.
    static func day(_ days: Int) -> Date { Date(timeIntervalSince1970: 536_457_600 + Double(days) * 86_400) }
    /// Noon of that day: in the same day and month in any time zone of the server.
    static func noon(_ days: Int) -> Date { day(days).addingTimeInterval(43_200) }

    @Test("topInvestors over a period ranks like a brute-force count of unreversed contributions")
    func topInvestorsForAPeriod() async throws {
        try await TestDatabase.withClient { client in
            let manager = try await client.createManager(name: unique("manager"))
            var pools: [PoolID] = []
            for _ in 0..<4 { pools.append(try await client.createPool(manager: manager, name: unique("pool"), currency: "USD")) }
            var investors: [InvestorID] = []
            for _ in 0..<8 {
                let investor = try await client.createInvestor(name: unique("investor"))
                for pool in pools { try await client.addInvestor(investor, to: pool) }
                investors.append(investor)
            }
            var random = SeededGenerator(seed: 11)
            // (investor, pool, amount, day, reversed)
            var posted: [(InvestorID, PoolID, Decimal, Int, Bool)] = []
            for _ in 0..<120 {
                let investor = investors.randomElement(using: &random)!
                let pool = pools[Int.random(in: 0..<(1 + investors.firstIndex(of: investor)! % 4), using: &random)]
                let amount = Decimal(Int.random(in: 100...99_999, using: &random)) / 100
                let day = Int.random(in: 0..<365, using: &random)
                let id = try await client.contribute(amount, pool: pool, investor: investor, occurredAt: Self.noon(day))
                let reversed = Int.random(in: 0..<6, using: &random) == 0
                if reversed { _ = try await client.reverse(id, reason: "test") }
                posted.append((investor, pool, amount, day, reversed))
            }
            for (from, to) in [(0, 365), (30, 200), (100, 101)] {
                var pools: [InvestorID: Set<PoolID>] = [:], totals: [InvestorID: Decimal] = [:]
                for (investor, pool, amount, day, reversed) in posted where !reversed && (from..<to).contains(day) {
                    pools[investor, default: []].insert(pool)
                    totals[investor, default: 0] += amount
                }
                let expected = pools.keys.sorted { a, b in
                    (pools[a]!.count, totals[a]!, b.rawValue) > (pools[b]!.count, totals[b]!, a.rawValue)
                }.map { TopInvestorKey(id: $0, pools: Int64(pools[$0]!.count), total: totals[$0]!) }
                let mine = Set(investors)
                let ranked = try await client.topInvestors(limit: 10_000, from: Self.day(from), to: Self.day(to))
                    .filter { mine.contains($0.investorID) }
                    .map { TopInvestorKey(id: $0.investorID, pools: $0.poolCount, total: $0.totalInvested) }
                #expect(ranked == expected, "period \(from)..<\(to)")
            }
        }
    }

    struct TopInvestorKey: Equatable, CustomStringConvertible {
        let id: InvestorID, pools: Int64, total: Decimal
        var description: String { "\(id): \(pools) pools, \(total)" }
    }

    @Test("a pool summary, a statement, activity per month and the alert history of a small ledger")
    func summaryStatementActivityAlerts() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 2)
            let (ann, bob) = (investors[0], investors[1])
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 600), for: pool)
            _ = try await client.contribute(100, pool: pool, investor: ann, occurredAt: Self.noon(9))
            _ = try await client.withdraw(30, pool: pool, investor: ann, occurredAt: Self.noon(35))
            _ = try await client.chargeFee(5, pool: pool, investor: ann, occurredAt: Self.noon(40))
            _ = try await client.distribute(Decimal(string: "12.5")!, pool: pool, investor: ann, occurredAt: Self.noon(50))
            let late = try await client.contribute(50, pool: pool, investor: ann, occurredAt: Self.noon(59))
            _ = try await client.reverse(late, reason: "entered twice")
            let large = try await client.contribute(700, pool: pool, investor: bob, occurredAt: Self.noon(45))

            let summary = try #require(try await client.poolSummaries(pool: pool).first)
            #expect(summary.members == 2)
            #expect((summary.contributed, summary.withdrawn, summary.distributed, summary.fees, summary.netInvested)
                    == (800, 30, Decimal(string: "12.5")!, 5, 765))
            #expect(summary.isOpen && summary.currency == "USD")

            let february = try await client.investorStatement(ann, from: Self.day(31), to: Self.day(59))
            #expect(february.count == 1)
            let line = try #require(february.first)
            #expect((line.openingBalance, line.contributed, line.withdrawn, line.distributed, line.fees, line.closingBalance)
                    == (100, 0, 30, Decimal(string: "12.5")!, 5, 65))
            let toNow = try await client.investorStatement(ann)
            #expect(toNow.first?.closingBalance == (try await client.position(pool: pool, investor: ann)).netInvested)

            let months = try await client.poolActivity(pool: pool, per: .month, to: Self.day(90))
            #expect(months.map(\.transactions) == [1, 4, 1])  // the reversal is today, after the period
            #expect(months.map(\.netFlow) == [100, 665, 50])  // February: 700 - 30 - 5
            #expect(try await client.poolActivity(pool: pool, per: .day).map(\.reversals).reduce(0, +) == 1)

            let alerts = try await client.alertHistory(pool: pool)
            #expect(alerts.map(\.transactionID) == [large])
            guard case .largeTransaction(let details)? = alerts.first?.details else {
                Issue.record("the alert has no typed large_transaction details: \(alerts)")
                return
            }
            #expect(details.amount == Money(700, "USD"))
            #expect(try await client.alertHistory(pool: pool, kind: .spike).isEmpty)
        }
    }

    @Test("reports refuse bad arguments and unknown ids with typed errors")
    func refusals() async throws {
        try await TestDatabase.withClient { client in
            await expectFailure(.invalidArgument, sqlState: "PKA01") { _ = try await client.topInvestors(limit: 0) }
            await expectFailure(.invalidArgument, sqlState: "PKA01") { _ = try await client.topInvestors(limit: 10_001) }
            await expectFailure(.invalidArgument, sqlState: "PKA01") {
                _ = try await client.topInvestors(from: Self.day(2), to: Self.day(1))
            }
            await expectFailure(.notFound, sqlState: "PKN02") { _ = try await client.investorStatement(InvestorID(rawValue: -1)) }
            await expectFailure(.notFound, sqlState: "PKN01") { _ = try await client.poolActivity(pool: PoolID(rawValue: -1)) }
            await expectFailure(.notFound) { _ = try await client.poolSummaries(pool: PoolID(rawValue: -1)) }
            await expectFailure(.notFound) { _ = try await client.poolSummaries(manager: ManagerID(rawValue: -1)) }
            await expectFailure(.notFound, sqlState: "PKN01") { _ = try await client.alertHistory(pool: PoolID(rawValue: -1)) }
            await expectFailure(.invalidArgument, sqlState: "PKA01") { _ = try await client.alertHistory(limit: 0) }
        }
    }
}
