import Foundation

/// One pool of an investor's statement for a period
/// (``PoolKeeperClient/investorStatement(_:from:to:)``): the balance
/// (net invested) before the period, the period's movements, and the balance
/// after it. A reversal counts against its kind when it occurred, so
/// `openingBalance + contributed - withdrawn - fees == closingBalance`.
public struct StatementLine: Hashable, Sendable {
    public var poolID: PoolID
    public var poolName: String
    public var currency: String
    public var openingBalance: Decimal
    public var contributed: Decimal
    public var withdrawn: Decimal
    /// Paid out of proceeds: does not move the balance.
    public var distributed: Decimal
    public var fees: Decimal
    public var closingBalance: Decimal
}
