import Foundation
import PoolKeeper

/// One call of a public declaration with one bad input, and what it must do.
struct BadCall: Sendable {
    enum Expected: Sendable, CustomStringConvertible {
        /// Throws a `PoolKeeperError` with this code (and no SQLSTATE of class XX).
        case error(PoolKeeperError.Code)
        /// Returns nil: the declaration is failable or optional-returning.
        case nilResult
        /// Returns normally, having clamped or kept the input as documented;
        /// the call's body checks that and returns whether it held.
        case accepted

        var description: String {
            switch self {
            case .error(let code): "error \(code)"
            case .nilResult: "nil"
            case .accepted: "accepted as documented"
            }
        }
    }

    let label: String
    let expected: Expected
    /// Returns whether the result is as expected (ignored for `.error`).
    let run: @Sendable (BadInputFixture) async throws -> Bool

    /// A call that must throw `code`.
    static func fails(_ label: String, _ code: PoolKeeperError.Code,
                      _ body: @escaping @Sendable (BadInputFixture) async throws -> Void) -> BadCall {
        BadCall(label: label, expected: .error(code)) { fixture in
            try await body(fixture)
            return false
        }
    }

    /// A call that must return nil.
    static func returnsNil<Value>(_ label: String,
                                  _ body: @escaping @Sendable (BadInputFixture) async throws -> Value?) -> BadCall {
        BadCall(label: label, expected: .nilResult) { fixture in try await body(fixture) == nil }
    }

    /// A call that must return normally, `check` telling whether it did as documented.
    static func accepted(_ label: String, _ check: @escaping @Sendable (BadInputFixture) async throws -> Bool) -> BadCall {
        BadCall(label: label, expected: .accepted, run: check)
    }
}

/// The registry's entry for one public declaration.
enum BadInputEntry: Sendable {
    /// The generated bad calls.
    case calls([BadCall])
    /// The declaration takes no input worth validating; the reason says why.
    case noInput(String)
}

/// Builds one bad call per value of a generated list.
func each<Value: Sendable>(_ values: [(String, Value)], _ label: String, _ code: PoolKeeperError.Code,
                           _ body: @escaping @Sendable (BadInputFixture, Value) async throws -> Void) -> [BadCall] {
    values.map { name, value in
        BadCall.fails("\(label) \(name)", code) { fixture in try await body(fixture, value) }
    }
}

/// Builds one call per value of a generated list that must return nil.
func eachNil<Value: Sendable, Result>(_ values: [(String, Value)], _ label: String,
                                      _ body: @escaping @Sendable (Value) throws -> Result?) -> [BadCall] {
    values.map { name, value in
        BadCall.returnsNil("\(label) \(name)") { _ in try body(value) }
    }
}
