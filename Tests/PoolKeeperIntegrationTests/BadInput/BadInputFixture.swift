import Foundation
import PoolKeeper
import PostgresNIO

/// What the bad calls refer to, made once in the battery's own database: a
/// USD pool with a member who has contributed, a JPY pool, a closed pool,
/// an investor who belongs to no pool, a ledger row, a reversal and a
/// capital call. Every bad call differs from a good one in one input only.
struct BadInputFixture: Sendable {
    let client: PoolKeeperClient
    let manager: ManagerID
    /// Open, USD, `member` has contributed 100 and committed 1,000.
    let pool: PoolID
    /// Open, JPY (no decimals), `member` belongs to it.
    let jpyPool: PoolID
    /// Closed; `member` belonged to it.
    let closedPool: PoolID
    let member: InvestorID
    /// A member of no pool.
    let outsider: InvestorID
    /// `member`'s contribution of 100 to `pool`.
    let contribution: TransactionID
    /// The reversal of another contribution: itself not reversible.
    let reversal: TransactionID
    /// A capital call of 10 on `pool`.
    let call: OperationID

    static func make(_ client: PoolKeeperClient) async throws -> BadInputFixture {
        let manager = try await client.createManager(name: "bad input manager")
        let member = try await client.createInvestor(name: "bad input member")
        let outsider = try await client.createInvestor(name: "bad input outsider")
        let pool = try await client.createPool(manager: manager, name: "bad input USD", currency: "USD")
        let jpyPool = try await client.createPool(manager: manager, name: "bad input JPY", currency: "JPY")
        let closedPool = try await client.createPool(manager: manager, name: "bad input closed", currency: "USD")
        for each in [pool, jpyPool, closedPool] { try await client.addInvestor(member, to: each, commitment: 1000) }
        try await client.closePool(closedPool)
        let contribution = try await client.contribute(100, pool: pool, investor: member)
        let reversed = try await client.contribute(5, pool: pool, investor: member)
        let reversal = try await client.reverse(reversed, reason: "fixture")
        let call = try await client.callCapital(10, pool: pool, dueDate: .today)
        return BadInputFixture(client: client, manager: manager, pool: pool, jpyPool: jpyPool, closedPool: closedPool,
                               member: member, outsider: outsider, contribution: contribution, reversal: reversal, call: call)
    }

    /// One md5 over the rows of every table of schema poolkeeper.
    func digest() async throws -> String {
        var tables: [String] = []
        let names = try await client.postgres.query("""
            SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'poolkeeper' AND c.relkind IN ('r', 'p') ORDER BY c.relname
            """, logger: TestDatabase.logger)
        for try await name in names.decode(String.self) { tables.append(name) }
        let parts = tables.map { table in
            "(SELECT '\(table):' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM poolkeeper.\"\(table)\" t)"
        }
        let rows = try await client.postgres.query(PostgresQuery(unsafeSQL: "SELECT md5(concat_ws(',', \(parts.joined(separator: ", "))))"),
                                                   logger: TestDatabase.logger)
        for try await digest in rows.decode(String.self) { return digest }
        return ""
    }
}
