import Foundation

/// An exact amount of money in one currency (an ISO 4217 code such as `USD`).
/// Amounts are `Decimal`, read from and written to PostgreSQL `numeric`
/// without rounding; never floating point.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var amount: Decimal
    public var currency: String

    public init(_ amount: Decimal, _ currency: String) {
        self.amount = amount
        self.currency = currency
    }

    public var description: String { "\(amount) \(currency)" }
}
