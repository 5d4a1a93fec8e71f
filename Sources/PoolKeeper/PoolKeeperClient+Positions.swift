import Foundation
import PostgresNIO

/// Positions: each investor's running totals per pool.
extension PoolKeeperClient {
    /// Every position in `pool`, of current members and former ones, by investor id.
    /// Throws `.notFound` when there is no such pool.
    public func positions(in pool: PoolID) async throws(PoolKeeperError) -> [Position] {
        let found = try await positions("""
            SELECT \(unescaped: Self.positionColumns)
              FROM poolkeeper.pools p LEFT JOIN poolkeeper.positions x ON x.pool_id = p.id
             WHERE p.id = \(pool.rawValue) ORDER BY x.investor_id
            """)
        guard let found else { throw PoolKeeperError.notFound("pool", pool.rawValue) }
        return found
    }

    /// Every position of `investor`, in any pool, by pool id.
    /// Throws `.notFound` when there is no such investor.
    public func positions(of investor: InvestorID) async throws(PoolKeeperError) -> [Position] {
        let found = try await positions("""
            SELECT \(unescaped: Self.positionColumns)
              FROM poolkeeper.investors i LEFT JOIN poolkeeper.positions x ON x.investor_id = i.id
             WHERE i.id = \(investor.rawValue) ORDER BY x.pool_id
            """)
        guard let found else { throw PoolKeeperError.notFound("investor", investor.rawValue) }
        return found
    }

    /// `investor`'s position in `pool`. Throws `.notFound` when the investor
    /// never joined the pool (or either does not exist).
    public func position(pool: PoolID, investor: InvestorID) async throws(PoolKeeperError) -> Position {
        let found = try await positions("""
            SELECT \(unescaped: Self.positionColumns) FROM poolkeeper.positions x
             WHERE x.pool_id = \(pool.rawValue) AND x.investor_id = \(investor.rawValue)
            """)
        guard let position = found?.first else {
            throw PoolKeeperError(code: .notFound, message: "investor \(investor) has no position in pool \(pool)")
        }
        return position
    }

    private static let positionColumns =
        "x.pool_id, x.investor_id, x.currency, x.contributed, x.withdrawn, x.distributed, x.fees, x.net_invested, x.is_open"

    /// The positions a query of `positionColumns` returns; a row of NULLs
    /// (from an outer join) stands for none. Nil when it returns no row at all.
    private func positions(_ query: PostgresQuery) async throws(PoolKeeperError) -> [Position]? {
        try await perform { () async throws -> [Position]? in
            var positions: [Position]?
            let rows = try await self.rows(query)
            for (pool, investor, currency, contributed, withdrawn, distributed, fees, net, open) in try rows.map({ try $0.decode((Int64?, Int64?, String?, Decimal?, Decimal?, Decimal?, Decimal?, Decimal?, Bool?).self) }) {
                if positions == nil { positions = [] }
                guard let pool, let investor, let currency, let contributed, let withdrawn, let distributed,
                      let fees, let net, let open else { continue }
                positions?.append(Position(poolID: PoolID(rawValue: pool), investorID: InvestorID(rawValue: investor),
                                           currency: currency, contributed: contributed, withdrawn: withdrawn,
                                           distributed: distributed, fees: fees, netInvested: net, isOpen: open))
            }
            return positions
        }
    }
}
