import Foundation

/// Checks of inputs that PostgreSQL or PostgresNIO cannot even receive, made
/// before a request is sent, so that they fail with a typed error rather
/// than an untyped one or a crash: a NUL character (text cannot hold it),
/// a time outside PostgreSQL's range (PostgresNIO traps on it), details that
/// are not a JSON object (the `::jsonb` cast would fail with a server error).
extension PoolKeeperClient {
    /// Refuses text with a NUL character, which no PostgreSQL text can hold.
    static func requireText(_ value: String?, _ what: String, code: PoolKeeperError.Code = .invalidArgument) throws(PoolKeeperError) {
        if let value, value.utf8.contains(0) {
            throw PoolKeeperError(code: code, message: "\(what) must not contain a NUL character")
        }
    }

    /// The times a `timestamptz` holds, in seconds since 1970: from 4713 BC
    /// to 294276 AD (PostgreSQL's range, which PostgresNIO's encoding of a
    /// `Date` also needs).
    static let representableSeconds: ClosedRange<Double> = -210_866_803_200 ... 9_224_318_015_999

    /// Refuses a time PostgreSQL cannot hold (NaN, infinite, too far out).
    static func requireTime(_ date: Date?, _ what: String) throws(PoolKeeperError) {
        if let date, !representableSeconds.contains(date.timeIntervalSince1970) {
            throw PoolKeeperError(code: .invalidArgument, message: "\(what) \(date.timeIntervalSince1970) s since 1970 is not a time PostgreSQL can hold")
        }
    }

    /// Refuses a report period with an end PostgreSQL cannot hold.
    static func requirePeriod(_ from: Date?, _ to: Date?) throws(PoolKeeperError) {
        try requireTime(from, "from")
        try requireTime(to, "to")
    }

    /// Refuses text that is not a JSON object, or that holds a NUL
    /// (`\u0000`), which `jsonb` cannot store.
    static func requireJSONObject(_ text: String, _ what: String) throws(PoolKeeperError) {
        try requireText(text, what)
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), object is [String: Any] else {
            throw PoolKeeperError(code: .invalidArgument, message: "\(what) must be a JSON object")
        }
        if containsNUL(object) {
            throw PoolKeeperError(code: .invalidArgument, message: "\(what) must not contain a NUL character (\\u0000)")
        }
    }

    private static func containsNUL(_ value: Any) -> Bool {
        switch value {
        case let text as String: text.utf8.contains(0)
        case let array as [Any]: array.contains(where: containsNUL)
        case let object as [String: Any]: object.contains { $0.key.utf8.contains(0) || containsNUL($0.value) }
        default: false
        }
    }
}
