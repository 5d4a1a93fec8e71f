import Foundation
import PostgresNIO

/// Reports: the SQL report functions of the extension, typed. A period is
/// `[from, to)` of each row's `occurred_at` (of `raised_at` for alerts); nil
/// leaves that side open. An empty period, or an end PostgreSQL cannot hold
/// (NaN, infinite, beyond 294276 AD), throws `.invalidArgument`.
extension PoolKeeperClient {
    /// The `limit` (1 to 10,000) investors who contributed to the most
    /// distinct pools, then by total contributed, then by id
    /// (`top_investors`). A reversed contribution counts as never made.
    /// With no period it costs the same at any ledger size.
    public func topInvestors(limit: Int = 5, from: Date? = nil, to: Date? = nil) async throws(PoolKeeperError) -> [TopInvestor] {
        try Self.requirePeriod(from, to)
        return try await perform { () async throws -> [TopInvestor] in
            try await self.rows("""
                SELECT investor_id, investor_name, pool_count, total_invested
                  FROM poolkeeper.top_investors(\(Int32(clamping: limit)), \(from), \(to))
                """).map { row in
                let (id, name, count, total) = try row.decode((Int64, String, Int64, Decimal).self)
                return TopInvestor(investorID: InvestorID(rawValue: id), investorName: name, poolCount: count, totalInvested: total)
            }
        }
    }

    /// Pool summaries (`pool_summary`) by pool id: of `pool` alone, of the
    /// pools of `manager`, or of every pool. Throws `.notFound` when `pool`
    /// or `manager` does not exist.
    public func poolSummaries(pool: PoolID? = nil, manager: ManagerID? = nil) async throws(PoolKeeperError) -> [PoolSummary] {
        let summaries = try await perform { () async throws -> [PoolSummary] in
            try await self.rows("""
                SELECT pool_id, pool_name, manager_id, manager_name, currency, status, members, committed,
                       contributed, withdrawn, distributed, fees, net_invested, last_activity_at
                  FROM poolkeeper.pool_summary
                 WHERE (\(pool?.rawValue)::bigint IS NULL OR pool_id = \(pool?.rawValue))
                   AND (\(manager?.rawValue)::bigint IS NULL OR manager_id = \(manager?.rawValue))
                 ORDER BY pool_id
                """).map { row in
                let (id, name, managerID, managerName, currency, status, members, committed,
                     contributed, withdrawn, distributed, fees, net, last) =
                    try row.decode((Int64, String, Int64, String, String, String, Int64, Decimal,
                                    Decimal, Decimal, Decimal, Decimal, Decimal, Date?).self)
                return PoolSummary(poolID: PoolID(rawValue: id), poolName: name, managerID: ManagerID(rawValue: managerID),
                                   managerName: managerName, currency: currency, isOpen: status == "open", members: members,
                                   committed: committed, contributed: contributed, withdrawn: withdrawn,
                                   distributed: distributed, fees: fees, netInvested: net, lastActivityAt: last)
            }
        }
        if summaries.isEmpty, let pool { _ = try await self.pool(pool) }  // throws .notFound
        if summaries.isEmpty, let manager { _ = try await self.manager(manager) }
        return summaries
    }

    /// `investor`'s statement for the period, one line per pool with ledger
    /// rows before `to`, by pool id (`investor_statement`). Throws
    /// `.notFound` when there is no such investor.
    public func investorStatement(_ investor: InvestorID, from: Date? = nil, to: Date? = nil) async throws(PoolKeeperError) -> [StatementLine] {
        try Self.requirePeriod(from, to)
        return try await perform { () async throws -> [StatementLine] in
            try await self.rows("""
                SELECT pool_id, pool_name, currency, opening_balance, contributed, withdrawn, distributed, fees, closing_balance
                  FROM poolkeeper.investor_statement(\(investor.rawValue), \(from), \(to))
                """).map { row in
                let (pool, name, currency, opening, contributed, withdrawn, distributed, fees, closing) =
                    try row.decode((Int64, String, String, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal).self)
                return StatementLine(poolID: PoolID(rawValue: pool), poolName: name, currency: currency,
                                     openingBalance: opening, contributed: contributed, withdrawn: withdrawn,
                                     distributed: distributed, fees: fees, closingBalance: closing)
            }
        }
    }

    /// The ledger of `pool` (nil: every pool) per day, week or month, for
    /// the buckets that have rows, by pool and time (`pool_activity`).
    /// Throws `.notFound` when there is no such pool.
    public func poolActivity(pool: PoolID?, per length: ActivityBucket.Length = .day, from: Date? = nil,
                             to: Date? = nil) async throws(PoolKeeperError) -> [ActivityBucket] {
        try Self.requirePeriod(from, to)
        return try await perform { () async throws -> [ActivityBucket] in
            try await self.rows("""
                SELECT pool_id, bucket_start, transactions, reversals, contributions, withdrawals, distributions, fees, net_flow
                  FROM poolkeeper.pool_activity(\(pool?.rawValue), \(length.rawValue), \(from), \(to))
                """).map { row in
                let (pool, start, count, reversals, contributions, withdrawals, distributions, fees, net) =
                    try row.decode((Int64, Date, Int64, Int64, Decimal, Decimal, Decimal, Decimal, Decimal).self)
                return ActivityBucket(poolID: PoolID(rawValue: pool), start: start, transactions: count, reversals: reversals,
                                      contributions: contributions, withdrawals: withdrawals, distributions: distributions,
                                      fees: fees, netFlow: net)
            }
        }
    }

    /// The latest `limit` (1 to 10,000) alerts, newest first, of `pool` and
    /// `kind` raised in the period (`alert_history`); nil matches any.
    /// Throws `.notFound` when there is no such pool.
    public func alertHistory(pool: PoolID? = nil, kind: Alert.Kind? = nil, from: Date? = nil, to: Date? = nil,
                             limit: Int = 100) async throws(PoolKeeperError) -> [Alert] {
        try Self.requirePeriod(from, to)
        return try await perform { () async throws -> [Alert] in
            try await self.rows("""
                SELECT alert_id, kind, pool_id, transaction_id, raised_at, details::text, dedupe_key
                  FROM poolkeeper.alert_history(\(pool?.rawValue), \(kind?.rawValue), \(from), \(to), \(Int32(clamping: limit)))
                """).map { row in
                let (id, kindName, pool, transaction, raisedAt, details, dedupeKey) =
                    try row.decode((Int64, String, Int64, Int64?, Date, String, String).self)
                guard let kind = Alert.Kind(rawValue: kindName) else {
                    throw PoolKeeperError(code: .server, message: "the alert log holds an alert of unknown kind \(kindName)")
                }
                return Alert(id: AlertID(rawValue: id), kind: kind, poolID: PoolID(rawValue: pool),
                             transactionID: transaction.map(TransactionID.init(rawValue:)),
                             details: Alert.Details(kind: kind, json: details), detailsJSON: details,
                             raisedAt: raisedAt, dedupeKey: dedupeKey)
            }
        }
    }
}
