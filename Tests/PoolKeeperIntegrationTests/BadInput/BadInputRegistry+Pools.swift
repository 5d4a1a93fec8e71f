import Foundation
import PoolKeeper

extension BadInputRegistry {
    static let pools: [(String, BadInputEntry)] = [
        ("PoolKeeperClient+Pools.swift: PoolKeeperClient.createPool(manager:name:currency:)",
         .calls(each(BadValues.ids, "manager", .notFound) { f, id in
             _ = try await f.client.createPool(manager: ManagerID(rawValue: id), name: "bad input", currency: "USD")
         } + each(BadValues.names, "name", .invalidArgument) { f, name in
             _ = try await f.client.createPool(manager: f.manager, name: name, currency: "USD")
         } + each(BadValues.currencies, "currency", .unknownCurrency) { f, currency in
             _ = try await f.client.createPool(manager: f.manager, name: "bad input", currency: currency)
         } + [.fails("currency with NUL", .invalidArgument) { f in
             _ = try await f.client.createPool(manager: f.manager, name: "bad input", currency: "US\u{0}")
         }])),
        ("PoolKeeperClient+Pools.swift: PoolKeeperClient.addInvestor(_:to:commitment:)",
         .calls(each(BadValues.ids, "investor", .notFound) { f, id in
             try await f.client.addInvestor(InvestorID(rawValue: id), to: f.pool)
         } + each(BadValues.ids, "pool", .notFound) { f, id in
             try await f.client.addInvestor(f.outsider, to: PoolID(rawValue: id))
         } + each(BadValues.amounts, "commitment", .invalidAmount) { f, commitment in
             try await f.client.addInvestor(f.outsider, to: f.pool, commitment: commitment)
         } + [.fails("closed pool", .poolClosed) { f in try await f.client.addInvestor(f.outsider, to: f.closedPool) },
              .fails("already a member", .alreadyAMember) { f in try await f.client.addInvestor(f.member, to: f.pool) }])),
        ("PoolKeeperClient+Pools.swift: PoolKeeperClient.removeInvestor(_:from:)",
         .calls(each(BadValues.ids, "investor", .notFound) { f, id in
             try await f.client.removeInvestor(InvestorID(rawValue: id), from: f.pool)
         } + each(BadValues.ids, "pool", .notFound) { f, id in
             try await f.client.removeInvestor(f.member, from: PoolID(rawValue: id))
         } + [.fails("not a member", .notAMember) { f in try await f.client.removeInvestor(f.outsider, from: f.pool) }])),
        ("PoolKeeperClient+Pools.swift: PoolKeeperClient.closePool(_:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in try await f.client.closePool(PoolID(rawValue: id)) }
                + [.fails("closed pool", .poolClosed) { f in try await f.client.closePool(f.closedPool) }])),
        ("PoolKeeperClient+Pools.swift: PoolKeeperClient.pool(_:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.pool(PoolID(rawValue: id)) })),
        ("PoolKeeperClient+Pools.swift: PoolKeeperClient.members(of:includingFormer:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in
             _ = try await f.client.members(of: PoolID(rawValue: id), includingFormer: true)
         })),
        ("PoolKeeperClient+Positions.swift: PoolKeeperClient.positions(in:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.positions(in: PoolID(rawValue: id)) })),
        ("PoolKeeperClient+Positions.swift: PoolKeeperClient.positions(of:)",
         .calls(each(BadValues.ids, "investor", .notFound) { f, id in _ = try await f.client.positions(of: InvestorID(rawValue: id)) })),
        ("PoolKeeperClient+Positions.swift: PoolKeeperClient.position(pool:investor:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in
             _ = try await f.client.position(pool: PoolID(rawValue: id), investor: f.member)
         } + each(BadValues.ids, "investor", .notFound) { f, id in
             _ = try await f.client.position(pool: f.pool, investor: InvestorID(rawValue: id))
         } + [.fails("not a member", .notFound) { f in _ = try await f.client.position(pool: f.pool, investor: f.outsider) }])),
        ("PoolKeeperClient+Ledger.swift: PoolKeeperClient.transactions(in:investor:operation:after:limit:)",
         .calls(each(BadValues.ids, "pool", .notFound) { f, id in _ = try await f.client.transactions(in: PoolID(rawValue: id)) }
                + each(BadValues.limits, "limit", .invalidArgument) { f, limit in
                    _ = try await f.client.transactions(in: f.pool, limit: limit)
                } + BadValues.ids.map { name, id in
                    .accepted("unknown investor, operation and after \(name): an empty page") { f in
                        let page = try await f.client.transactions(in: f.pool, investor: InvestorID(rawValue: id),
                                                                   operation: OperationID(rawValue: id), after: TransactionID(rawValue: id))
                        return page.transactions.isEmpty && page.next == nil
                    }
                })),
    ]

    static let parties: [(String, BadInputEntry)] = [
        ("PoolKeeperClient+Parties.swift: PoolKeeperClient.createManager(name:loginRole:)",
         .calls(partyCalls { f, name, role in _ = try await f.client.createManager(name: name, loginRole: role) })),
        ("PoolKeeperClient+Parties.swift: PoolKeeperClient.createInvestor(name:loginRole:)",
         .calls(partyCalls { f, name, role in _ = try await f.client.createInvestor(name: name, loginRole: role) })),
        ("PoolKeeperClient+Parties.swift: PoolKeeperClient.manager(_:)",
         .calls(each(BadValues.ids, "manager", .notFound) { f, id in _ = try await f.client.manager(ManagerID(rawValue: id)) })),
        ("PoolKeeperClient+Parties.swift: PoolKeeperClient.investor(_:)",
         .calls(each(BadValues.ids, "investor", .notFound) { f, id in _ = try await f.client.investor(InvestorID(rawValue: id)) })),
    ]

    static func partyCalls(_ create: @escaping @Sendable (BadInputFixture, String, String?) async throws -> Void) -> [BadCall] {
        each(BadValues.names, "name", .invalidArgument) { f, name in try await create(f, name, nil) }
            + each([("no such role", "pk_no_such_role"), ("empty", ""), ("1 MB", BadValues.megabyte)], "login role", .unknownRole) { f, role in
                try await create(f, "bad input", role)
            }
            + each([("with NUL", "a\u{0}")], "login role", .invalidArgument) { f, role in
                try await create(f, "bad input", role)
            }
    }
}
