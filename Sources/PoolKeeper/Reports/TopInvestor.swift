import Foundation

/// One line of ``PoolKeeperClient/topInvestors(limit:from:to:)``: an
/// investor, the number of distinct pools they contributed to, and the total
/// contributed, both net of reversed contributions. The total adds amounts as
/// numbers across currencies, as the SQL report does.
public struct TopInvestor: Hashable, Sendable {
    public var investorID: InvestorID
    public var investorName: String
    public var poolCount: Int64
    public var totalInvested: Decimal
}
