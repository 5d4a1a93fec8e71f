import Foundation
import PostgresNIO

/// A page of a feed read as one row holding a JSON array.
///
/// PostgresNIO 1.33.2 stops the process (a `preconditionFailure` in its row
/// stream) when the server closes a connection while a result of many rows
/// is still being read and the reader has not yet asked for more: exactly
/// what a terminated backend or a restart does to a feed reading a full
/// page. A result of one row never leaves the row stream waiting for demand
/// between rows, so the feeds ask the database to aggregate each page.
/// Amounts travel as JSON strings and times as integer microseconds, so
/// nothing passes through floating point on the way.
enum FeedPage {
    /// SQL for a `timestamptz` as microseconds since 2000-01-01 UTC, the
    /// number PostgreSQL's binary format carries.
    static func microseconds(_ column: String) -> String {
        "((extract(epoch FROM \(column)) - 946684800) * 1000000)::bigint"
    }

    /// The `Date` PostgresNIO would decode from the same binary value.
    static func date(microseconds: Int64) -> Date {
        Date(timeInterval: Double(microseconds) / 1_000_000, since: Date(timeIntervalSince1970: 946_684_800))
    }

    /// Decodes the single text column of the single row of `rows`.
    static func decode<Page: Decodable>(_ type: Page.Type, _ rows: [PostgresRow]) throws -> Page {
        guard let row = rows.first else { throw PoolKeeperError(code: .server, message: "a feed page query returned no row") }
        return try JSONDecoder().decode(Page.self, from: Data(try row.decode(String.self).utf8))
    }
}
