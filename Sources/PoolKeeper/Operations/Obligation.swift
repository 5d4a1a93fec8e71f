import Foundation

/// What one investor owes on one capital call
/// (`poolkeeper.capital_call_obligations`), in the pool's currency.
public struct Obligation: Hashable, Sendable, Codable {
    public var callID: OperationID
    public var poolID: PoolID
    public var investorID: InvestorID
    public var dueDate: CalendarDate
    /// The investor's share of the call, fixed when it was made.
    public var called: Decimal
    /// The payments recorded against it whose ledger rows are not reversed.
    public var paid: Decimal
    /// `called - paid`.
    public var outstanding: Decimal
    /// Something is outstanding after the due date.
    public var isOverdue: Bool
}
