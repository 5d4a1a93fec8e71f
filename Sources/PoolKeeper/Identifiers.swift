/// What the typed identifiers share: a database id (`bigint`) that cannot be
/// mixed up with the id of another kind of thing.
public protocol PoolKeeperIdentifier: RawRepresentable<Int64>, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible, ExpressibleByIntegerLiteral {
    init(rawValue: Int64)
}

extension PoolKeeperIdentifier {
    public init(integerLiteral value: Int64) { self.init(rawValue: value) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}

/// The id of a pool (`poolkeeper.pools.id`).
public struct PoolID: PoolKeeperIdentifier {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// The id of an investor (`poolkeeper.investors.id`).
public struct InvestorID: PoolKeeperIdentifier {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// The id of a manager (`poolkeeper.managers.id`).
public struct ManagerID: PoolKeeperIdentifier {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// The id of a ledger row (`poolkeeper.transactions.id`).
public struct TransactionID: PoolKeeperIdentifier {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// The id of an alert (`poolkeeper.alerts.id`).
public struct AlertID: PoolKeeperIdentifier {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}

/// The id of a fund operation, a capital call or a distribution
/// (`poolkeeper.operations.id`); a distribution's ledger rows carry it.
public struct OperationID: PoolKeeperIdentifier {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
}
