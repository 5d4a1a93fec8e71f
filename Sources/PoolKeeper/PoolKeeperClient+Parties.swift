import Foundation
import PostgresNIO

/// Managers and investors: create them, read them.
extension PoolKeeperClient {
    /// Creates a manager and returns its id (`create_manager`). `loginRole`
    /// maps an existing database role to the manager.
    /// Throws `.invalidArgument` (empty or over-long name), `.unknownRole`, `.roleAlreadyMapped`.
    public func createManager(name: String, loginRole: String? = nil) async throws(PoolKeeperError) -> ManagerID {
        try Self.requireText(name, "name")
        try Self.requireText(loginRole, "login role")
        return ManagerID(rawValue: try await scalar("SELECT poolkeeper.create_manager(\(name), \(loginRole)::name)"))
    }

    /// Creates an investor and returns its id (`create_investor`). `loginRole`
    /// maps an existing database role to the investor.
    /// Throws `.invalidArgument` (empty or over-long name), `.unknownRole`, `.roleAlreadyMapped`.
    public func createInvestor(name: String, loginRole: String? = nil) async throws(PoolKeeperError) -> InvestorID {
        try Self.requireText(name, "name")
        try Self.requireText(loginRole, "login role")
        return InvestorID(rawValue: try await scalar("SELECT poolkeeper.create_investor(\(name), \(loginRole)::name)"))
    }

    /// The manager with that id; throws `.notFound` when there is none.
    public func manager(_ id: ManagerID) async throws(PoolKeeperError) -> Manager {
        let found = try await first(
            "SELECT name, login_role::text, created_at FROM poolkeeper.managers WHERE id = \(id.rawValue)") { row in
            let (name, role, created) = try row.decode((String, String?, Date).self)
            return Manager(id: id, name: name, loginRole: role, createdAt: created)
        }
        guard let found else { throw PoolKeeperError.notFound("manager", id.rawValue) }
        return found
    }

    /// The investor with that id; throws `.notFound` when there is none.
    public func investor(_ id: InvestorID) async throws(PoolKeeperError) -> Investor {
        let found = try await first(
            "SELECT name, login_role::text, created_at FROM poolkeeper.investors WHERE id = \(id.rawValue)") { row in
            let (name, role, created) = try row.decode((String, String?, Date).self)
            return Investor(id: id, name: name, loginRole: role, createdAt: created)
        }
        guard let found else { throw PoolKeeperError.notFound("investor", id.rawValue) }
        return found
    }
}
