import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import Synchronization
import Testing

@Suite("PoolKeeperClient: fund operations")
struct ClientFundOperationsTests {
    /// Noon UTC of an ISO day.
    static func noon(_ day: String) -> Date {
        ISO8601DateFormatter().date(from: "\(day)T12:00:00Z")!
    }

    @Test("a capital call splits by commitment; payments settle it, a reversed payment is owed again, overpaying is refused")
    func capitalCall() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 0)  // members with commitments follow
            var members: [InvestorID] = []
            for commitment in [Decimal(1000), 1000, 1000, 0] {
                let investor = try await client.createInvestor(name: unique("lp"))
                try await client.addInvestor(investor, to: pool, commitment: commitment == 0 ? nil : commitment)
                members.append(investor)
            }
            #expect(investors.isEmpty)
            let key = unique("call")
            let call = try await client.callCapital(1000, pool: pool, dueDate: try CalendarDate(year: 2020, month: 6, day: 30),
                                                    idempotencyKey: key)
            #expect(try await client.callCapital(1000, pool: pool, dueDate: CalendarDate("2020-06-30")!, idempotencyKey: key) == call)
            let owed = try await client.obligations(call: call)
            #expect(owed.map(\.investorID) == Array(members.prefix(3)), "no obligation without a commitment")
            #expect(owed.map(\.called) == [Decimal(string: "333.34")!, Decimal(string: "333.33")!, Decimal(string: "333.33")!])
            #expect(owed.allSatisfy { $0.isOverdue && $0.paid == 0 && $0.dueDate.description == "2020-06-30" })

            let first = try await client.payCapitalCall(call, investor: members[0], amount: 100, idempotencyKey: unique("pay"))
            let rest = try await client.payCapitalCall(call, investor: members[0])
            #expect(try await client.obligations(call: call)[0].outstanding == 0)
            await expectFailure(.paymentExceedsObligation, sqlState: "PKS14") {
                _ = try await client.payCapitalCall(call, investor: members[0], amount: 1)
            }
            _ = try await client.reverse(rest, reason: "bounced")
            let afterReversal = try await client.obligations(call: call)[0]
            #expect(afterReversal.paid == 100 && afterReversal.outstanding == Decimal(string: "233.34")!)
            #expect(first != rest)
            await expectFailure(.notFound, sqlState: "PKN06") { _ = try await client.payCapitalCall(call, investor: members[3]) }
            await expectFailure(.notFound, sqlState: "PKN05") { _ = try await client.payCapitalCall(OperationID(rawValue: -1), investor: members[0]) }
            await expectFailure(.obligationOutstanding, sqlState: "PKS15") { try await client.removeInvestor(members[1], from: pool) }
            await expectFailure(.callExceedsCommitment, sqlState: "PKS13") {
                _ = try await client.callCapital(2001, pool: pool, dueDate: .today)
            }
            await expectFailure(.invalidAmount, sqlState: "PKA02") { _ = try await client.callCapital(Decimal(string: "0.001")!, pool: pool, dueDate: .today) }
            #expect(try await client.verify().isEmpty)
        }
    }

    @Test("1000.00 to three equal members is 333.34, 333.33, 333.33, one operation; a repeat under its key writes nothing")
    func distribution() async throws {
        try await TestDatabase.withClient { client in
            let (pool, members) = try await makePool(client, members: 3)
            for member in members { _ = try await client.contribute(500, pool: pool, investor: member) }
            let key = unique("q4")
            let operation = try await client.distribute(Decimal(string: "1000.00")!, toMembersOf: pool, idempotencyKey: key)
            #expect(try await client.distribute(Decimal(string: "1000.00")!, toMembersOf: pool, idempotencyKey: key) == operation)
            let rows = try await client.transactions(in: pool, operation: operation, limit: 100).transactions
            #expect(rows.map(\.investorID) == members)
            #expect(rows.map(\.amount.amount) == [Decimal(string: "333.34")!, Decimal(string: "333.33")!, Decimal(string: "333.33")!])
            #expect(rows.allSatisfy { $0.operationID == operation && $0.kind == .distribution })
            #expect(try await client.transactions(in: pool, limit: 100).transactions.filter { $0.kind == .distribution } == rows)
            await expectFailure(.idempotencyConflict, sqlState: "PKS08") {
                _ = try await client.distribute(999, toMembersOf: pool, idempotencyKey: key)
            }
            // Above the threshold: one alert for the total, none per row.
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 150), for: pool)
            let start = try await client.feedCursor()
            let big = try await client.distribute(300, toMembersOf: pool)
            let alerts = try await client.alerts(after: start, limit: 1000).alerts.filter { $0.poolID == pool }
            #expect(alerts.count == 1)
            guard case .largeTransaction(let details)? = alerts.first?.details else {
                Issue.record("expected one large_transaction alert, got \(alerts)")
                return
            }
            #expect(details.operationID == big && details.rows == 3 && details.investorID == nil && details.amount.amount == 300)
            let (empty, _) = try await makePool(client, members: 2)
            await expectFailure(.noAllocationBasis, sqlState: "PKS12") { _ = try await client.distribute(10, toMembersOf: empty) }
            await expectFailure(.noAllocationBasis, sqlState: "PKS12") {
                _ = try await client.distribute(10, toMembersOf: pool, basis: .commitment)
            }
            #expect(try await client.verify().isEmpty)
        }
    }

    @Test("metrics: the issue's XIRR example, and an investor's multi-flow IRR against a double-precision bisection")
    func metrics() async throws {
        try await TestDatabase.withClient { client in
            let (pool, members) = try await makePool(client, members: 2)
            _ = try await client.contribute(1000, pool: pool, investor: members[0], occurredAt: Self.noon("2020-01-01"))
            try await client.recordValuation(1100, pool: pool, asOf: CalendarDate("2021-01-01")!)
            let yearOne = try await client.poolMetrics(pool: pool, asOf: CalendarDate("2021-01-01")!)
            #expect(yearOne.irr.map { NSDecimalNumber(decimal: $0).doubleValue } .map { ($0 * 10_000).rounded() / 10_000 } == 0.0997)
            #expect(yearOne.tvpi == Decimal(string: "1.1") && yearOne.nav == 1100 && yearOne.valuationDate?.description == "2021-01-01")
            let before = try await client.poolMetrics(pool: pool, asOf: CalendarDate("2020-12-31")!)
            #expect(before.irr == nil && before.nav == nil && before.irrNote?.contains("no valuation on or before 2020-12-31") == true)

            // More flows for both members, then a valuation and a distribution.
            let flows: [(Int, LedgerTransaction.Kind, Decimal, String)] = [
                (1, .contribution, 2000, "2020-03-15"), (0, .contribution, 500, "2020-07-01"), (0, .withdrawal, 200, "2021-02-01"),
                (1, .fee, 25, "2021-02-01"), (1, .distribution, 300, "2021-05-20"),
            ]
            for (member, kind, amount, day) in flows {
                _ = try await client.post(kind, amount, pool: pool, investor: members[member], occurredAt: Self.noon(day))
            }
            try await client.recordValuation(3900, pool: pool, asOf: CalendarDate("2021-06-30")!)
            let asOf = CalendarDate("2022-01-01")!
            let shares = try await client.navShares(pool: pool, asOf: asOf)
            #expect(shares.compactMap(\.share).reduce(0, +) == 3900)
            for (index, member) in members.enumerated() {
                let metrics = try #require(try await client.investorMetrics(investor: member, asOf: asOf).first { $0.poolID == pool })
                let nav = try #require(metrics.nav)
                #expect(nav == shares.first { $0.investorID == member }?.share)
                // The investor's cash flows, and the NAV on the date, solved independently.
                var cash: [(Double, Date)] = flows.filter { $0.0 == index && $0.1 != .fee }.map { flow in
                    ((flow.1 == .contribution ? -1 : 1) * NSDecimalNumber(decimal: flow.2).doubleValue, Self.noon(flow.3))
                }
                if index == 0 { cash.append((-1000, Self.noon("2020-01-01"))) }
                cash.append((NSDecimalNumber(decimal: nav).doubleValue, Self.noon("2022-01-01")))
                let expected = Self.bisectedIRR(cash)
                let irr = try #require(metrics.irr, "\(metrics.irrNote ?? "")")
                #expect(abs(NSDecimalNumber(decimal: irr).doubleValue - expected) < 1e-7, "member \(index): \(irr) vs \(expected)")
            }
            await expectFailure(.notFound, sqlState: "PKN01") { _ = try await client.poolMetrics(pool: PoolID(rawValue: -1)) }
            await expectFailure(.invalidArgument, sqlState: "PKA01") {
                try await client.recordValuation(1, pool: pool, asOf: try CalendarDate(Date().addingTimeInterval(3 * 86_400)))
            }
        }
    }

    /// The rate r where Σ amount / (1 + r)^(days / 365) = 0, by bisection in
    /// doubles over whole UTC days: independent of the extension's solver.
    static func bisectedIRR(_ flows: [(Double, Date)]) -> Double {
        let start = flows.map(\.1).min()!
        func days(_ date: Date) -> Double { ((date.timeIntervalSince(start)) / 86_400).rounded() }
        func npv(_ rate: Double) -> Double { flows.reduce(0) { $0 + $1.0 / pow(1 + rate, days($1.1) / 365) } }
        var (low, high) = (-0.99, 10.0)
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if (npv(middle) > 0) == (npv(low) > 0) { low = middle } else { high = middle }
        }
        return (low + high) / 2
    }

    @Test("a spike monitor takes a distribution to 200 members as one event, and still raises the burst after it",
          .timeLimit(.minutes(2)))
    func distributionIsNotASpike() async throws {
        try await TestDatabase.withClient { client in
            // Members with commitments and no ledger rows yet: a distribution on commitments needs nothing else.
            let (pool, members) = try await makePool(client, members: 200, commitment: 1000)
            try await client.setAlertRule(AlertRule(spikeShortWindow: .seconds(2), spikeBaselineWindow: .seconds(30),
                                                    spikeFactor: 5, spikeMinCount: 10), for: pool)
            let start = try await client.feedCursor()
            let seen = Mutex<[SpikeDetector.Row]>([])
            let monitor = Task {
                try await SpikeMonitor(client: client, options: SpikeMonitor.Options(pools: [pool])) { row in
                    seen.withLock { $0.append(row) }
                }.run()
            }
            try await Task.sleep(for: .seconds(1))
            let operation = try await client.distribute(20_000, toMembersOf: pool, basis: .commitment)
            func spikes() async throws -> [Alert] {
                try await client.alerts(after: start, limit: 10_000).alerts.filter { $0.poolID == pool && $0.kind == .spike }
            }
            for _ in 0..<100 where seen.withLock({ $0.filter { $0.operation == operation }.count }) < 200 {
                try await Task.sleep(for: .milliseconds(50))
            }
            try await Task.sleep(for: .seconds(1))
            #expect(seen.withLock { $0.filter { $0.operation == operation }.count } == 200, "the monitor took the distribution's rows")
            #expect(try await spikes().isEmpty, "200 rows of one distribution are one event")
            // 20 separate rows at once are a spike.
            var burst: Set<TransactionID> = []
            for member in members.prefix(20) { burst.insert(try await client.contribute(1, pool: pool, investor: member)) }
            for _ in 0..<100 where try await spikes().isEmpty { try await Task.sleep(for: .milliseconds(50)) }
            let raised = try await spikes()
            monitor.cancel()
            _ = try? await monitor.value
            #expect(raised.count == 1)
            #expect(raised.first?.transactionID.map(burst.contains) == true, "raised on a row of the burst")
        }
    }
}
