import Foundation

/// A day on the calendar, with no time and no time zone: a capital call's
/// due date, a valuation's date, the date metrics are taken at. Written and
/// parsed as ISO 8601 (`2026-12-31`); sent to PostgreSQL as a `date`.
public struct CalendarDate: Hashable, Comparable, Sendable, Codable, LosslessStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The date, or `.invalidArgument` when there is no such day (2026-02-30).
    public init(year: Int, month: Int, day: Int) throws(PoolKeeperError) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.days(inMonth: month, of: year)).contains(day) else {
            throw PoolKeeperError(code: .invalidArgument, message: "\(year)-\(month)-\(day) is not a day on the calendar")
        }
        (self.year, self.month, self.day) = (year, month, day)
    }

    /// Parses `YYYY-MM-DD`; nil for anything else or a day that does not exist.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              let date = try? CalendarDate(year: year, month: month, day: day) else { return nil }
        self = date
    }

    /// The day `date` falls on in `timeZone` (UTC unless given): the
    /// extension dates ledger rows by their UTC day. Throws
    /// `.invalidArgument` when that day is not in the years 1 to 9999, or
    /// `date` is not a time at all (NaN, infinite).
    public init(_ date: Date, in timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws(PoolKeeperError) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        // Years 1 to 9999 lie well within ±4e11 s; beyond, Calendar's answers are not to be trusted.
        let parts = abs(date.timeIntervalSince1970) < 4e11 ? calendar.dateComponents([.era, .year, .month, .day], from: date) : DateComponents()
        guard parts.era == 1, let year = parts.year, let month = parts.month, let day = parts.day else {
            throw PoolKeeperError(code: .invalidArgument, message: "\(date.timeIntervalSince1970) s since 1970 is not a day in the years 1 to 9999")
        }
        try self.init(year: year, month: month, day: day)
    }

    /// Today, in UTC.
    public static var today: CalendarDate {
        do { return try CalendarDate(Date()) } catch { preconditionFailure("the clock is outside the years 1 to 9999: \(error)") }
    }

    public var description: String {
        let pad = { (value: Int, width: Int) in String(repeating: "0", count: max(0, width - String(value).count)) + String(value) }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text) is not a YYYY-MM-DD date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func days(inMonth month: Int, of year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
