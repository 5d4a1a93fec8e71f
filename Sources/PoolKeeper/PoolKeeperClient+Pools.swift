import Foundation
import PostgresNIO

/// Pools and their members: create, join, leave, close, read.
extension PoolKeeperClient {
    /// Creates an open pool run by `manager` in `currency` (an ISO 4217 code)
    /// and returns its id (`create_pool`).
    /// Throws `.invalidArgument`, `.notFound` (manager), `.unknownCurrency`.
    public func createPool(manager: ManagerID, name: String, currency: String) async throws(PoolKeeperError) -> PoolID {
        try Self.requireText(name, "name")
        try Self.requireText(currency, "currency")
        return PoolID(rawValue: try await scalar(
            "SELECT poolkeeper.create_pool(\(manager.rawValue), \(name), \(currency))"))
    }

    /// Makes `investor` a member of `pool`, with an open position, and records
    /// the commitment if given (`add_investor`).
    /// Throws `.notFound`, `.poolClosed`, `.alreadyAMember`, `.invalidAmount` (commitment).
    public func addInvestor(_ investor: InvestorID, to pool: PoolID, commitment: Decimal? = nil) async throws(PoolKeeperError) {
        try Self.requireNumber(commitment, "commitment", code: .invalidAmount)
        try await execute("SELECT poolkeeper.add_investor(\(pool.rawValue), \(investor.rawValue), \(commitment))")
    }

    /// Ends `investor`'s membership of `pool` (`remove_investor`); the history stays.
    /// Throws `.notFound`, `.notAMember`, `.positionNotZero` (net_invested is not zero),
    /// `.obligationOutstanding` (the investor still owes on a capital call of the pool).
    public func removeInvestor(_ investor: InvestorID, from pool: PoolID) async throws(PoolKeeperError) {
        try await execute("SELECT poolkeeper.remove_investor(\(pool.rawValue), \(investor.rawValue))")
    }

    /// Closes `pool` for good (`close_pool`): it takes no new members and no ledger rows.
    /// Throws `.notFound`, `.poolClosed` (already closed).
    public func closePool(_ pool: PoolID) async throws(PoolKeeperError) {
        try await execute("SELECT poolkeeper.close_pool(\(pool.rawValue))")
    }

    /// The pool with that id; throws `.notFound` when there is none.
    public func pool(_ id: PoolID) async throws(PoolKeeperError) -> Pool {
        let found = try await first("""
            SELECT manager_id, name, currency, status, created_at, closed_at, closed_by::text FROM poolkeeper.pools WHERE id = \(id.rawValue)
            """) { row in
            let (manager, name, currency, status, created, closed, closedBy) = try row.decode((Int64, String, String, String, Date, Date?, String?).self)
            return Pool(id: id, managerID: ManagerID(rawValue: manager), name: name, currency: currency,
                        status: Pool.Status(rawValue: status) ?? .closed, createdAt: created, closedAt: closed, closedBy: closedBy)
        }
        guard let found else { throw PoolKeeperError.notFound("pool", id.rawValue) }
        return found
    }

    /// The memberships of `pool` in the order investors joined: the current
    /// ones, or with `includingFormer` every stint ever. Throws `.notFound`
    /// when there is no such pool.
    public func members(of pool: PoolID, includingFormer: Bool = false) async throws(PoolKeeperError) -> [Membership] {
        let (exists, members) = try await perform { () async throws -> (Bool, [Membership]) in
            // One row with NULL membership columns when the pool has no members; none when there is no pool.
            let rows = try await self.rows("""
                SELECT m.investor_id, m.commitment, m.joined_at, m.left_at
                  FROM poolkeeper.pools p
                  LEFT JOIN poolkeeper.memberships m
                         ON m.pool_id = p.id AND (\(includingFormer) OR m.left_at IS NULL)
                 WHERE p.id = \(pool.rawValue)
                 ORDER BY m.joined_at, m.id
                """)
            var exists = false
            var members: [Membership] = []
            for (investor, commitment, joined, left) in try rows.map({ try $0.decode((Int64?, Decimal?, Date?, Date?).self) }) {
                exists = true
                guard let investor, let joined else { continue }
                members.append(Membership(poolID: pool, investorID: InvestorID(rawValue: investor),
                                          commitment: commitment, joinedAt: joined, leftAt: left))
            }
            return (exists, members)
        }
        guard exists else { throw PoolKeeperError.notFound("pool", pool.rawValue) }
        return members
    }
}
