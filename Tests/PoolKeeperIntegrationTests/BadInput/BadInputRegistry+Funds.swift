import Foundation
import PoolKeeper

extension BadInputRegistry {
    static let future = try! CalendarDate(year: 9999, month: 12, day: 31)

    static let fundOperations: [(String, BadInputEntry)] = [
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.callCapital(_:pool:dueDate:idempotencyKey:)",
         .calls(totals { f, total, pool, key in _ = try await f.client.callCapital(total, pool: pool, dueDate: .today, idempotencyKey: key) }
                + [.fails("above the commitments", .callExceedsCommitment) { f in
                    _ = try await f.client.callCapital(100_000, pool: f.pool, dueDate: .today)
                }])),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.distribute(_:toMembersOf:basis:idempotencyKey:)",
         .calls(totals { f, total, pool, key in _ = try await f.client.distribute(total, toMembersOf: pool, basis: .commitment, idempotencyKey: key) })),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.payCapitalCall(_:investor:amount:idempotencyKey:occurredAt:)",
         .calls(each(BadValues.ids, "call", .notFound) { f, id in
             _ = try await f.client.payCapitalCall(OperationID(rawValue: id), investor: f.member, amount: 1)
         } + each(BadValues.ids, "investor", .notFound) { f, id in
             _ = try await f.client.payCapitalCall(f.call, investor: InvestorID(rawValue: id), amount: 1)
         } + each(BadValues.amounts, "amount", .invalidAmount) { f, amount in
             _ = try await f.client.payCapitalCall(f.call, investor: f.member, amount: amount)
         } + each(BadValues.keys, "idempotency key", .invalidArgument) { f, key in
             _ = try await f.client.payCapitalCall(f.call, investor: f.member, amount: 1, idempotencyKey: key)
         } + each(BadValues.occurredAts, "occurredAt", .invalidArgument) { f, at in
             _ = try await f.client.payCapitalCall(f.call, investor: f.member, amount: 1, occurredAt: at)
         } + [.fails("an investor who owes nothing", .notFound) { f in
             _ = try await f.client.payCapitalCall(f.call, investor: f.outsider, amount: 1)
         }, .fails("more than owed", .paymentExceedsObligation) { f in
             _ = try await f.client.payCapitalCall(f.call, investor: f.member, amount: 11)
         }])),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.obligations(call:pool:)",
         .calls(BadValues.ids.map { name, id in
             .accepted("unknown call and pool \(name): none") { f in
                 let ofCall = try await f.client.obligations(call: OperationID(rawValue: id))
                 let ofPool = try await f.client.obligations(pool: PoolID(rawValue: id))
                 return ofCall.isEmpty && ofPool.isEmpty
             }
         })),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.recordValuation(_:pool:asOf:)",
         .calls(each(BadValues.nonZeroAmounts, "NAV", .invalidAmount) { f, nav in
             try await f.client.recordValuation(nav, pool: f.pool, asOf: .today)
         } + each(BadValues.ids, "pool", .notFound) { f, id in
             try await f.client.recordValuation(1, pool: PoolID(rawValue: id), asOf: .today)
         } + [.fails("NAV 1.5 in JPY", .invalidAmount) { f in
             try await f.client.recordValuation(BadValues.jpyAmount, pool: f.jpyPool, asOf: .today)
         }, .fails("asOf 9999-12-31", .invalidArgument) { f in
             try await f.client.recordValuation(1, pool: f.pool, asOf: future)
         }])),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.navShares(pool:asOf:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.navShares(pool: PoolID(rawValue: id)) })),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.poolMetrics(pool:asOf:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.poolMetrics(pool: PoolID(rawValue: id)) })),
        ("PoolKeeperClient+FundOperations.swift: PoolKeeperClient.investorMetrics(investor:asOf:)",
         .calls(each(BadValues.ids, "investor", .notFound) { f, id in
             _ = try await f.client.investorMetrics(investor: InvestorID(rawValue: id))
         })),
    ]

    /// The battery of a pool-wide operation of `total`: a capital call or a distribution.
    static func totals(_ operation: @escaping @Sendable (BadInputFixture, Decimal, PoolID, String?) async throws -> Void) -> [BadCall] {
        each(BadValues.amounts, "total", .invalidAmount) { f, total in try await operation(f, total, f.pool, nil) }
            + each(BadValues.ids, "pool", .notFound) { f, id in try await operation(f, 1, PoolID(rawValue: id), nil) }
            + each(BadValues.keys, "idempotency key", .invalidArgument) { f, key in try await operation(f, 1, f.pool, key) }
            + [.fails("closed pool", .poolClosed) { f in try await operation(f, 1, f.closedPool, nil) },
               .fails("total 1.5 in JPY", .invalidAmount) { f in try await operation(f, BadValues.jpyAmount, f.jpyPool, nil) }]
    }

    static let reports: [(String, BadInputEntry)] = [
        ("PoolKeeperClient+Reports.swift: PoolKeeperClient.topInvestors(limit:from:to:)",
         .calls(each(BadValues.limits, "limit", .invalidArgument) { f, limit in _ = try await f.client.topInvestors(limit: limit) }
                + periods { f, from, to in _ = try await f.client.topInvestors(from: from, to: to) })),
        ("PoolKeeperClient+Reports.swift: PoolKeeperClient.poolSummaries(pool:manager:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.poolSummaries(pool: PoolID(rawValue: id)) }
                + each(BadValues.ids, "manager", .notFound) { f, id in
                    _ = try await f.client.poolSummaries(manager: ManagerID(rawValue: id))
                })),
        ("PoolKeeperClient+Reports.swift: PoolKeeperClient.investorStatement(_:from:to:)",
         .calls(each(BadValues.ids, "investor", .notFound) { f, id in _ = try await f.client.investorStatement(InvestorID(rawValue: id)) }
                + periods { f, from, to in _ = try await f.client.investorStatement(f.member, from: from, to: to) })),
        ("PoolKeeperClient+Reports.swift: PoolKeeperClient.poolActivity(pool:per:from:to:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.poolActivity(pool: PoolID(rawValue: id)) }
                + periods { f, from, to in _ = try await f.client.poolActivity(pool: f.pool, per: .week, from: from, to: to) })),
        ("PoolKeeperClient+Reports.swift: PoolKeeperClient.alertHistory(pool:kind:from:to:limit:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.alertHistory(pool: PoolID(rawValue: id)) }
                + each(BadValues.limits, "limit", .invalidArgument) { f, limit in _ = try await f.client.alertHistory(limit: limit) }
                + periods { f, from, to in _ = try await f.client.alertHistory(kind: .spike, from: from, to: to) })),
    ]

    /// A report over an empty period, or with an end PostgreSQL cannot hold.
    static func periods(_ report: @escaping @Sendable (BadInputFixture, Date?, Date?) async throws -> Void) -> [BadCall] {
        let now = Date()
        return [.fails("from after to", .invalidArgument) { f in try await report(f, now, now - 60) },
                .fails("from equal to to", .invalidArgument) { f in try await report(f, now, now) }]
            + each(BadValues.unrepresentableDates, "from", .invalidArgument) { f, from in try await report(f, from, nil) }
            + each(BadValues.unrepresentableDates, "to", .invalidArgument) { f, to in try await report(f, nil, to) }
    }
}
