import Foundation
import PoolKeeper

/// The generated bad values, by parameter type, each with a name for the
/// failure message.
enum BadValues {
    static let megabyte = String(repeating: "x", count: 1 << 20)

    /// Amounts no post, call, distribution or valuation takes (USD pools).
    static let amounts: [(String, Decimal)] = [
        ("NaN", .nan), ("0", 0), ("-1", -1), ("10^30", Decimal(sign: .plus, exponent: 30, significand: 1)),
        ("10^18", Decimal(sign: .plus, exponent: 18, significand: 1)),
        ("greatestFiniteMagnitude", .greatestFiniteMagnitude), ("-greatestFiniteMagnitude", -.greatestFiniteMagnitude),
        ("1.001 (USD has 2 decimals)", Decimal(string: "1.001")!),
    ]
    /// Amounts bad although zero is allowed (a NAV may be zero).
    static var nonZeroAmounts: [(String, Decimal)] { amounts.filter { $0.0 != "0" } }
    /// Too precise for JPY, which has no decimals.
    static let jpyAmount = Decimal(string: "1.5")!

    /// Ids nothing has.
    static let ids: [(String, Int64)] = [("id 0", 0), ("id -1", -1), ("id Int64.max", .max)]

    /// Names, reasons: refused when empty, blank, too long or with control characters.
    static let names: [(String, String)] = [
        ("empty", ""), ("blank", "   "), ("1 MB", megabyte), ("with \\u{1}", "a\u{1}b"), ("with newline", "a\nb"),
        ("with DEL", "a\u{7f}b"), ("with NUL", "a\u{0}b"),
    ]
    /// Idempotency and dedupe keys are stored as given (docs/security.md),
    /// but not empty or blank, over 255 characters, or with a control character (NUL included).
    static let keys: [(String, String)] = [("empty", ""), ("blank", "   "), ("1 MB", megabyte),
                                           ("256 characters", String(repeating: "k", count: 256)),
                                           ("with NUL", "k\u{0}"), ("with U+0001", "k\u{1}"), ("with a newline", "k\nk"),
                                           ("with DEL", "k\u{7f}")]
    /// Currencies that are not ISO 4217 codes poolkeeper knows (case does
    /// not matter: `usd` is USD).
    static let currencies: [(String, String)] = [("XXQ", "XXQ"), ("empty", ""), ("with newline", "US\nD"), ("1 MB", megabyte)]
    /// Blank, malformed or NUL-holding text, refused where any text would do.
    static let texts: [(String, String)] = [("empty", ""), ("1 MB", megabyte), ("with NUL", "x\u{0}")]

    /// Limits outside 1 to 10,000.
    static let limits: [(String, Int)] = [("0", 0), ("-1", -1), ("10001", 10_001), ("Int.max", .max), ("Int.min", .min)]

    /// Times PostgreSQL cannot hold, or not times at all.
    static let unrepresentableDates: [(String, Date)] = [
        ("year 300000", Date(timeIntervalSince1970: 9_400_000_000_000)), ("year -300000", Date(timeIntervalSince1970: -9_500_000_000_000)),
        ("1e300 s", Date(timeIntervalSince1970: 1e300)), ("NaN", Date(timeIntervalSince1970: .nan)),
        ("infinity", Date(timeIntervalSince1970: .infinity)),
    ]
    /// Times a ledger row cannot have happened at: the future, or none.
    static var occurredAts: [(String, Date)] { [("distantFuture", .distantFuture), ("in a day", Date() + 86_400)] + unrepresentableDates }

    /// Rule windows: not whole seconds from 1 s to 1 day.
    static let windows: [(String, Duration)] = [
        ("zero", .zero), ("-1 s", .seconds(-1)), ("1.5 s", .milliseconds(1500)), ("a day and a second", .seconds(86_401)),
        ("Int64.max s", .seconds(Int64.max)),
    ]

    /// Metadata that is over 64 kB as JSON, or holds a NUL PostgreSQL cannot store.
    static let metadata: [(String, [String: String])] = [
        ("1 MB value", ["a": megabyte]), ("NUL in a value", ["a": "x\u{0}"]), ("NUL in a key", ["\u{0}": "x"]),
    ]

    /// Feed cursors the database did not hand out.
    static let cursors: [(String, String)] = [
        ("empty", ""), ("garbage", "garbage"), ("1 MB", megabyte), ("with NUL", "a\u{0}"), ("negative", "-1:-1"),
        ("JSON", "{\"a\":1}"),
    ]

    /// Alert details that are not a JSON object.
    static let details: [(String, String)] = [
        ("malformed", "{\"a\":"), ("empty", ""), ("array", "[1]"), ("number", "1"), ("NUL escape", "{\"a\":\"\\u0000\"}"),
        ("raw NUL", "{\"a\":\"\u{0}\"}"), ("over 8 kB", "{\"a\":\"\(String(repeating: "x", count: 9000))\"}"), ("1 MB", megabyte),
    ]
}
