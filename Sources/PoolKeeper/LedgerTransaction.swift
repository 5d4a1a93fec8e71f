import Foundation

/// One row of the append-only ledger. A correction is a reversal: a new row
/// with `reverses` set, the same pool, investor, kind and amount as the row
/// it reverses, and the opposite effect on the position.
public struct LedgerTransaction: Hashable, Sendable, Codable {
    /// What the money did.
    public enum Kind: String, Hashable, Sendable, Codable, CaseIterable {
        case contribution, withdrawal, distribution, fee
    }

    public var id: TransactionID
    public var poolID: PoolID
    public var investorID: InvestorID
    public var kind: Kind
    /// Always positive; a reversal takes it away again.
    public var amount: Money
    /// When the money moved, as the poster said.
    public var occurredAt: Date
    /// When the database recorded the row (its own clock).
    public var recordedAt: Date
    public var idempotencyKey: String?
    /// The row this one reverses; nil for an ordinary row.
    public var reverses: TransactionID?
    /// The row's metadata, each value as text (nested values as JSON text, a JSON null as `null`).
    /// A reversal holds its reason under `reason`.
    public var metadata: [String: String]
    /// The distribution that wrote this row (``PoolKeeperClient/distribute(_:toMembersOf:basis:idempotencyKey:)``);
    /// nil for every other row.
    public var operationID: OperationID? = nil
    /// The database role that wrote the row: the session's role (SET ROLE, else
    /// the login) of whoever posted, reversed or distributed (docs/security.md).
    /// nil for rows written before extension 0.5.0.
    public var postedBy: String? = nil

    /// Whether this row is a reversal of another.
    public var isReversal: Bool { reverses != nil }
}

/// A page of ledger rows in id order, and where the next page starts.
public struct TransactionPage: Sendable {
    public var transactions: [LedgerTransaction]
    /// Pass as `after` to read the next page; nil when this page was the last.
    public var next: TransactionID?
}
