import Foundation

/// The performance of a pool, or of one investor's position in it, as of a
/// day (`poolkeeper.pool_metrics`, `poolkeeper.investor_metrics`). Amounts
/// are in the pool's currency, net of reversals, over ledger rows up to the
/// end of `asOf` (UTC days).
public struct FundMetrics: Hashable, Sendable, Codable {
    public var poolID: PoolID
    /// nil for the whole pool.
    public var investorID: InvestorID?
    public var asOf: CalendarDate
    public var currency: String
    /// Contributions.
    public var paidIn: Decimal
    public var distributions: Decimal
    public var withdrawals: Decimal
    public var fees: Decimal
    /// The latest valuation on or before `asOf` (for an investor, their share
    /// of it) rolled forward by the cash flows after it; nil with no valuation.
    public var nav: Decimal?
    public var valuationDate: CalendarDate?
    /// (distributions + withdrawals) / paid-in.
    public var dpi: Decimal?
    /// NAV / paid-in.
    public var rvpi: Decimal?
    /// DPI + RVPI.
    public var tvpi: Decimal?
    /// (distributions + withdrawals + NAV) / (paid-in − fees).
    public var moic: Decimal?
    /// XIRR (actual/365) of the cash flows and the NAV on `asOf`, as a
    /// fraction (0.0997 is 9.97% a year).
    public var irr: Decimal?
    /// Why `irr` is nil.
    public var irrNote: String?
}
