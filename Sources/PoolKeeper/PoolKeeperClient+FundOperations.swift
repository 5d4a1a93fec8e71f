import Foundation
import PostgresNIO

/// Fund operations: capital calls and their payments, pool-wide
/// distributions, valuations and performance metrics. Every split is exact
/// in the pool currency's minor units (`poolkeeper.allocate`: largest
/// remainder; ties to the larger weight, then the smaller investor id).
///
/// With an `idempotencyKey` a call, distribution or payment is safe to
/// repeat, and is retried after a lost connection, a serialization failure
/// or a deadlock (``retryPolicy``); without one it is never retried.
extension PoolKeeperClient {
    /// Calls `total` from the current members of `pool`, pro rata to their
    /// commitments, due on `dueDate`; each share becomes an ``Obligation``.
    /// No money moves until it is paid (``payCapitalCall(_:investor:amount:idempotencyKey:occurredAt:)``).
    /// Throws `.invalidAmount`, `.notFound`, `.poolClosed`,
    /// `.noAllocationBasis` (no member has a commitment),
    /// `.callExceedsCommitment`, `.idempotencyConflict`.
    public func callCapital(_ total: Decimal, pool: PoolID, dueDate: CalendarDate,
                            idempotencyKey: String? = nil) async throws(PoolKeeperError) -> OperationID {
        try Self.requireNumber(total, "total", code: .invalidAmount)
        try Self.requireText(idempotencyKey, "idempotency key")
        return OperationID(rawValue: try await keyedScalar("""
            SELECT poolkeeper.call_capital(\(pool.rawValue), \(total), \(dueDate.description)::date, \(idempotencyKey))
            """, idempotencyKey: idempotencyKey, what: "capital call"))
    }

    /// `investor` pays `amount` (nil: all that is outstanding) of their
    /// obligation in capital call `call`: a contribution to the call's pool,
    /// recorded against the obligation. Returns the ledger row's id;
    /// reversing it makes the amount outstanding again. Throws `.notFound`
    /// (no such call, or no obligation of the investor in it),
    /// `.paymentExceedsObligation`, and what a contribution can throw.
    public func payCapitalCall(_ call: OperationID, investor: InvestorID, amount: Decimal? = nil,
                               idempotencyKey: String? = nil, occurredAt: Date? = nil) async throws(PoolKeeperError) -> TransactionID {
        try Self.requireNumber(amount, "amount", code: .invalidAmount)
        try Self.requireText(idempotencyKey, "idempotency key")
        try Self.requireTime(occurredAt, "occurredAt")
        return TransactionID(rawValue: try await keyedScalar("""
            SELECT poolkeeper.pay_capital_call(\(call.rawValue), \(investor.rawValue), \(amount), \(idempotencyKey), \(occurredAt))
            """, idempotencyKey: idempotencyKey, what: "capital call payment"))
    }

    /// The obligations of capital call `call`, or of every call of `pool`,
    /// or of every call, by call and investor.
    public func obligations(call: OperationID? = nil, pool: PoolID? = nil) async throws(PoolKeeperError) -> [Obligation] {
        try await perform { () async throws -> [Obligation] in
            try await self.rows("""
                SELECT call_id, pool_id, investor_id, to_char(due_date, 'YYYY-MM-DD'), called, paid, outstanding, overdue
                  FROM poolkeeper.capital_call_obligations
                 WHERE (\(call?.rawValue)::bigint IS NULL OR call_id = \(call?.rawValue))
                   AND (\(pool?.rawValue)::bigint IS NULL OR pool_id = \(pool?.rawValue))
                 ORDER BY call_id, investor_id
                """).map { row in
                let (call, pool, investor, due, called, paid, outstanding, overdue) =
                    try row.decode((Int64, Int64, Int64, String, Decimal, Decimal, Decimal, Bool).self)
                return Obligation(callID: OperationID(rawValue: call), poolID: PoolID(rawValue: pool),
                                  investorID: InvestorID(rawValue: investor), dueDate: try Self.calendarDate(due),
                                  called: called, paid: paid, outstanding: outstanding, isOverdue: overdue)
            }
        }
    }

    /// Pays `total` out to the current members of `pool`, pro rata to
    /// `basis`, as one distribution row per member with a non-zero share, in
    /// one database transaction; the rows share the returned operation id
    /// (and count as one event for spike detection). Throws
    /// `.invalidAmount`, `.notFound`, `.poolClosed`, `.noAllocationBasis`
    /// (nobody has any of the basis), `.idempotencyConflict`.
    public func distribute(_ total: Decimal, toMembersOf pool: PoolID, basis: DistributionBasis = .netInvested,
                           idempotencyKey: String? = nil) async throws(PoolKeeperError) -> OperationID {
        try Self.requireNumber(total, "total", code: .invalidAmount)
        try Self.requireText(idempotencyKey, "idempotency key")
        return OperationID(rawValue: try await keyedScalar("""
            SELECT poolkeeper.distribute(\(pool.rawValue), \(total), \(basis.rawValue), \(idempotencyKey))
            """, idempotencyKey: idempotencyKey, what: "distribution"))
    }

    /// Records `pool`'s net asset value on `asOf` (no later than today, UTC);
    /// a second value for the day restates the first. Safe to repeat.
    /// Throws `.invalidArgument` (a future day), `.invalidAmount` (negative,
    /// or too precise for the currency), `.notFound`.
    public func recordValuation(_ nav: Decimal, pool: PoolID, asOf: CalendarDate) async throws(PoolKeeperError) {
        try Self.requireNumber(nav, "NAV", code: .invalidAmount)
        try await retrying(retryPolicy, what: "valuation of pool \(pool)") { () async throws(PoolKeeperError) in
            _ = try await perform { () async throws in
                try await self.rows("""
                    SELECT poolkeeper.record_valuation(\(pool.rawValue), \(asOf.description)::date, \(nav))::text
                    """, committing: true)
            }
        }
    }

    /// Each investor's share of `pool`'s latest valuation on or before
    /// `asOf`, by investor; empty when there is none. Throws `.notFound`.
    public func navShares(pool: PoolID, asOf: CalendarDate = .today) async throws(PoolKeeperError) -> [NAVShare] {
        try await perform { () async throws -> [NAVShare] in
            try await self.rows("""
                SELECT investor_id, to_char(valuation_date, 'YYYY-MM-DD'), net_invested, nav_share
                  FROM poolkeeper.nav_shares(\(pool.rawValue), \(asOf.description)::date)
                """).map { row in
                let (investor, date, net, share) = try row.decode((Int64, String, Decimal, Decimal?).self)
                return NAVShare(investorID: InvestorID(rawValue: investor), valuationDate: try Self.calendarDate(date),
                                netInvested: net, share: share)
            }
        }
    }

    /// `pool`'s performance as of `asOf` (`pool_metrics`). Throws `.notFound`.
    public func poolMetrics(pool: PoolID, asOf: CalendarDate = .today) async throws(PoolKeeperError) -> FundMetrics {
        let metrics = try await perform { () async throws -> [FundMetrics] in
            try await self.rows("""
                SELECT pool_id, currency, paid_in, distributions, withdrawals, fees, nav, to_char(valuation_date, 'YYYY-MM-DD'),
                       dpi, rvpi, tvpi, moic, irr, irr_note
                  FROM poolkeeper.pool_metrics(\(pool.rawValue), \(asOf.description)::date)
                """).map { try Self.metrics($0, investor: nil, asOf: asOf) }
        }
        guard let first = metrics.first else {
            throw PoolKeeperError(code: .server, message: "pool_metrics returned no row for pool \(pool)")
        }
        return first
    }

    /// `investor`'s performance in each pool where they have a position, as
    /// of `asOf`, by pool (`investor_metrics`). Throws `.notFound`.
    public func investorMetrics(investor: InvestorID, asOf: CalendarDate = .today) async throws(PoolKeeperError) -> [FundMetrics] {
        try await perform { () async throws -> [FundMetrics] in
            try await self.rows("""
                SELECT pool_id, currency, paid_in, distributions, withdrawals, fees, nav, to_char(valuation_date, 'YYYY-MM-DD'),
                       dpi, rvpi, tvpi, moic, irr, irr_note
                  FROM poolkeeper.investor_metrics(\(investor.rawValue), \(asOf.description)::date)
                """).map { try Self.metrics($0, investor: investor, asOf: asOf) }
        }
    }

    private static func metrics(_ row: PostgresRow, investor: InvestorID?, asOf: CalendarDate) throws -> FundMetrics {
        let (pool, currency, paidIn, distributions, withdrawals, fees, nav, valuationDate, dpi, rvpi, tvpi, moic, irr, note) =
            try row.decode((Int64, String, Decimal, Decimal, Decimal, Decimal, Decimal?, String?, Decimal?, Decimal?,
                            Decimal?, Decimal?, Decimal?, String?).self)
        return FundMetrics(poolID: PoolID(rawValue: pool), investorID: investor, asOf: asOf, currency: currency,
                           paidIn: paidIn, distributions: distributions, withdrawals: withdrawals, fees: fees, nav: nav,
                           valuationDate: try valuationDate.map(calendarDate), dpi: dpi, rvpi: rvpi, tvpi: tvpi, moic: moic,
                           irr: irr, irrNote: note)
    }

    static func calendarDate(_ text: String) throws(PoolKeeperError) -> CalendarDate {
        guard let date = CalendarDate(text) else {
            throw PoolKeeperError(code: .server, message: "the database sent \(text), which is not a YYYY-MM-DD date")
        }
        return date
    }
}
