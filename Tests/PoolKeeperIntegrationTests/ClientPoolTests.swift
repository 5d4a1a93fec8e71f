import Foundation
import PoolKeeper
import PostgresNIO
import Testing

@Suite("PoolKeeperClient: managers, investors, pools and members")
struct ClientPoolTests {
    @Test("create a manager, an investor and a pool, and read them back")
    func createAndRead() async throws {
        try await TestDatabase.withClient { client in
            let managerName = unique("manager")
            let manager = try await client.createManager(name: managerName)
            let investor = try await client.createInvestor(name: unique("investor"))
            let pool = try await client.createPool(manager: manager, name: unique("pool"), currency: "EUR")

            let readManager = try await client.manager(manager)
            #expect(readManager.id == manager)
            #expect(readManager.name == managerName)
            #expect(readManager.loginRole == nil)
            #expect(try await client.investor(investor).id == investor)
            let readPool = try await client.pool(pool)
            #expect(readPool.managerID == manager)
            #expect(readPool.currency == "EUR")
            #expect(readPool.status == .open)
            #expect(readPool.closedAt == nil)
        }
    }

    @Test("a manager and an investor can be mapped to a login role, once")
    func loginRoles() async throws {
        try await TestDatabase.withClient { client in
            let role = try await makeLoginRole(client)
            let manager = try await client.createManager(name: unique("manager"), loginRole: role)
            #expect(try await client.manager(manager).loginRole == role)
            await expectFailure(.roleAlreadyMapped, sqlState: "PKS10") {
                _ = try await client.createManager(name: unique("manager"), loginRole: role)
            }
            let investor = try await client.createInvestor(name: unique("investor"), loginRole: role)
            #expect(try await client.investor(investor).loginRole == role)
            await expectFailure(.roleAlreadyMapped, sqlState: "PKS10") {
                _ = try await client.createInvestor(name: unique("investor"), loginRole: role)
            }
            await expectFailure(.unknownRole, sqlState: "PKA05") {
                _ = try await client.createInvestor(name: unique("investor"), loginRole: "no_such_role_\(UUID().uuidString.prefix(6))")
            }
            try await dropRoles(client, [role])  // roles belong to the cluster
        }
    }

    @Test("bad names, unknown currencies and unknown ids are refused, and leave nothing behind")
    func refusals() async throws {
        try await TestDatabase.withClient { client in
            await expectFailure(.invalidArgument, sqlState: "PKA01") { _ = try await client.createManager(name: "  ") }
            await expectFailure(.invalidArgument, sqlState: "PKA01") {
                _ = try await client.createInvestor(name: String(repeating: "x", count: 201))
            }
            let manager = try await client.createManager(name: unique("manager"))
            let name = unique("pool")
            await expectFailure(.unknownCurrency, sqlState: "PKA03") {
                _ = try await client.createPool(manager: manager, name: name, currency: "XXQ")
            }
            await expectFailure(.notFound, sqlState: "PKN03") {
                _ = try await client.createPool(manager: ManagerID(rawValue: Int64.max), name: name, currency: "USD")
            }
            #expect(try await scalar(client, "SELECT count(*) FROM poolkeeper.pools WHERE name = \(name)") == 0)
            await expectFailure(.notFound) { _ = try await client.manager(ManagerID(rawValue: Int64.max)) }
            await expectFailure(.notFound) { _ = try await client.investor(InvestorID(rawValue: Int64.max)) }
            await expectFailure(.notFound) { _ = try await client.pool(PoolID(rawValue: Int64.max)) }
            await expectFailure(.notFound) { _ = try await client.members(of: PoolID(rawValue: Int64.max)) }
        }
    }

    @Test("members join with a commitment, leave when their position is zero, and their history stays")
    func membership() async throws {
        try await TestDatabase.withClient { client in
            let manager = try await client.createManager(name: unique("manager"))
            let pool = try await client.createPool(manager: manager, name: unique("pool"), currency: "USD")
            #expect(try await client.members(of: pool).isEmpty)
            let alice = try await client.createInvestor(name: unique("alice"))
            let bob = try await client.createInvestor(name: unique("bob"))
            try await client.addInvestor(alice, to: pool, commitment: Decimal(string: "250000.00")!)
            try await client.addInvestor(bob, to: pool)
            await expectFailure(.alreadyAMember, sqlState: "PKS03") { try await client.addInvestor(bob, to: pool) }
            await expectFailure(.invalidAmount, sqlState: "PKA02") {
                try await client.addInvestor(try await client.createInvestor(name: unique("carol")), to: pool, commitment: -1)
            }
            await expectFailure(.notFound, sqlState: "PKN02") {
                try await client.addInvestor(InvestorID(rawValue: Int64.max), to: pool)
            }

            let members = try await client.members(of: pool)
            #expect(members.map(\.investorID) == [alice, bob])
            let commitments: [Decimal?] = members.map(\.commitment)
            #expect(commitments == [Decimal(string: "250000.00")!, nil])
            let allCurrent = members.allSatisfy { $0.isCurrent }
            #expect(allCurrent)

            _ = try await client.contribute(100, pool: pool, investor: alice)
            await expectFailure(.positionNotZero, sqlState: "PKS05") { try await client.removeInvestor(alice, from: pool) }
            try await client.removeInvestor(bob, from: pool)
            await expectFailure(.notAMember, sqlState: "PKS02") { try await client.removeInvestor(bob, from: pool) }
            #expect(try await client.members(of: pool).map(\.investorID) == [alice])
            let history = try await client.members(of: pool, includingFormer: true)
            let former: [InvestorID] = history.filter { !$0.isCurrent }.map(\.investorID)
            #expect(history.count == 2)
            #expect(former == [bob])
        }
    }

    @Test("a closed pool takes no members and no posts, and cannot be closed twice")
    func closing() async throws {
        try await TestDatabase.withClient { client in
            let manager = try await client.createManager(name: unique("manager"))
            let pool = try await client.createPool(manager: manager, name: unique("pool"), currency: "USD")
            let investor = try await client.createInvestor(name: unique("investor"))
            try await client.addInvestor(investor, to: pool)
            try await client.closePool(pool)
            let closed = try await client.pool(pool)
            #expect(closed.status == .closed)
            #expect(closed.closedAt != nil)
            await expectFailure(.poolClosed, sqlState: "PKS01") { try await client.closePool(pool) }
            await expectFailure(.poolClosed, sqlState: "PKS01") {
                try await client.addInvestor(try await client.createInvestor(name: unique("late")), to: pool)
            }
            await expectFailure(.poolClosed, sqlState: "PKS01") { _ = try await client.contribute(1, pool: pool, investor: investor) }
            await expectFailure(.notFound, sqlState: "PKN01") { try await client.closePool(PoolID(rawValue: Int64.max)) }
        }
    }
}
