import Foundation

/// A `Date` as ISO 8601 text in UTC with microseconds, the microsecond being
/// the one PostgresNIO binds for the same `Date` (truncated toward zero from
/// 2000-01-01), so that a time sent as text and one bound as a parameter are
/// the same `timestamptz`. Proleptic Gregorian, as PostgreSQL counts.
enum TimestampText {
    /// nil outside the years 1 to 9999, which ISO 8601's four digits hold.
    static func iso8601(_ date: Date) -> String? {
        let fromPostgresEpoch = date.timeIntervalSince(Date(timeIntervalSince1970: 946_684_800)) * 1_000_000
        guard fromPostgresEpoch.isFinite, abs(fromPostgresEpoch) < 9.2e18 else { return nil }
        let micros = Int64(fromPostgresEpoch) + 946_684_800_000_000
        let (seconds, fraction) = floorDivision(micros, 1_000_000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civilDate(daysSince1970: days)
        guard (1...9999).contains(year) else { return nil }
        return String(format: "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%06lldZ", year, month, day,
                      secondOfDay / 3600, secondOfDay / 60 % 60, secondOfDay % 60, fraction)
    }

    /// Quotient rounded down, and the remainder that goes with it (never negative).
    static func floorDivision(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    /// Year, month and day of a day count from 1970-01-01 (H. Hinnant's
    /// days_from_civil, inverted: 400-year eras of 146,097 days from 0000-03-01).
    static func civilDate(daysSince1970 days: Int64) -> (Int64, Int64, Int64) {
        let (era, dayOfEra) = floorDivision(days + 719_468, 146_097)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
