import Foundation

/// One pool at a glance (`poolkeeper.pool_summary`): who runs it, its current
/// members and their commitments, the totals of its positions (net of
/// reversals, in its currency) and its latest ledger activity.
public struct PoolSummary: Hashable, Sendable {
    public var poolID: PoolID
    public var poolName: String
    public var managerID: ManagerID
    public var managerName: String
    public var currency: String
    public var isOpen: Bool
    /// Current members.
    public var members: Int64
    /// The sum of the current members' commitments (zero where none was given).
    public var committed: Decimal
    public var contributed: Decimal
    public var withdrawn: Decimal
    public var distributed: Decimal
    public var fees: Decimal
    /// `contributed - withdrawn - fees`.
    public var netInvested: Decimal
    /// The latest `occurred_at` of the pool's ledger rows; nil before the first.
    public var lastActivityAt: Date?
}
