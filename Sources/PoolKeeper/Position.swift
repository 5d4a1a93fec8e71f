import Foundation

/// One investor's running totals in one pool, exact and current as of the
/// last committed ledger row; every total is net of reversals.
public struct Position: Hashable, Sendable, Codable {
    public var poolID: PoolID
    public var investorID: InvestorID
    /// The pool's currency, which every total is in.
    public var currency: String
    public var contributed: Decimal
    public var withdrawn: Decimal
    /// Paid out of the pool's proceeds: neither reduces `netInvested` nor is limited by it.
    public var distributed: Decimal
    public var fees: Decimal
    /// `contributed - withdrawn - fees`; never below zero.
    public var netInvested: Decimal
    /// Whether the position takes ledger rows: the pool is open and the investor a current member.
    public var isOpen: Bool
}
