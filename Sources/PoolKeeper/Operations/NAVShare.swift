import Foundation

/// One investor's share of a pool's valuation (`poolkeeper.nav_shares`): the
/// NAV split pro rata to net invested capital at the end of the valuation's
/// day, exactly (the shares sum to the NAV).
public struct NAVShare: Hashable, Sendable, Codable {
    public var investorID: InvestorID
    /// The valuation the share is of: the latest on or before the date asked for.
    public var valuationDate: CalendarDate
    /// Contributed − withdrawn − fees up to the end of the valuation's day.
    public var netInvested: Decimal
    /// nil when nobody had capital invested that day.
    public var share: Decimal?
}
