import Foundation

/// A pool (syndicate) run by one manager in one currency. Pools are closed,
/// never deleted: a closed pool takes no new members and no ledger rows.
public struct Pool: Hashable, Sendable, Codable {
    /// Whether the pool takes members and ledger rows.
    public enum Status: String, Hashable, Sendable, Codable {
        case open, closed
    }

    public var id: PoolID
    public var managerID: ManagerID
    public var name: String
    /// The ISO 4217 code every amount of the pool is in.
    public var currency: String
    public var status: Status
    public var createdAt: Date
    /// When the pool was closed; nil while it is open.
    public var closedAt: Date?
    /// The database role that closed it (docs/security.md); nil while it is
    /// open, and for pools closed before extension 0.5.0.
    public var closedBy: String? = nil
}

/// One stint of an investor in a pool: leaving ends it (`leftAt`), and
/// rejoining starts a new one, so the history stays.
public struct Membership: Hashable, Sendable, Codable {
    public var poolID: PoolID
    public var investorID: InvestorID
    /// What the investor committed to invest, if it was recorded.
    public var commitment: Decimal?
    public var joinedAt: Date
    public var leftAt: Date?

    /// Whether the investor is still a member under this stint.
    public var isCurrent: Bool { leftAt == nil }
}
