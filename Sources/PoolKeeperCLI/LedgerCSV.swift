import Foundation
import PoolKeeper

/// Ledger rows from a CSV file: a header `id,pool_id,recorded_at`, then one
/// row per line in arrival order; recorded_at in ISO 8601 (also PostgreSQL's
/// text form, `2026-11-23 14:00:05.123+00`).
enum LedgerCSV {
    /// Calls `row` for each row of the file at `path`; throws
    /// `.invalidArgument` naming the line of the first malformed one.
    static func read(path: String, _ row: (SpikeDetector.Row) -> Void) throws(PoolKeeperError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PoolKeeperError(code: .invalidArgument, message: "cannot read \(path)")
        }
        var lineNumber = 0
        for rawLine in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(decoding: rawLine, as: UTF8.self)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if lineNumber == 1 {
                guard line.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) == ["id", "pool_id", "recorded_at"] else {
                    throw PoolKeeperError(code: .invalidArgument, message: "\(path):1: the header must be id,pool_id,recorded_at, not \(line)")
                }
                continue
            }
            if line.allSatisfy(\.isWhitespace) { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 3, let id = Int64(fields[0].trimmingCharacters(in: .whitespaces)),
                  let pool = Int64(fields[1].trimmingCharacters(in: .whitespaces)),
                  let second = ISO8601Seconds.parse(fields[2]) else {
                throw PoolKeeperError(code: .invalidArgument,
                                      message: "\(path):\(lineNumber): expected id,pool_id,recorded_at (ISO 8601), not \(line)")
            }
            row(SpikeDetector.Row(pool: PoolID(rawValue: pool), transaction: TransactionID(rawValue: id), second: second))
        }
    }
}

/// Reads an ISO 8601 time exactly, to the second it falls in.
enum ISO8601Seconds {
    /// `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|±HH[:MM]|±HHMM]` as seconds since
    /// 1970, floored (no offset means UTC); nil when it is not of that form.
    static func parse(_ text: Substring) -> Int64? {
        let chars = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var index = 0
        func number(_ digits: Int) -> Int64? {
            guard index + digits <= chars.count else { return nil }
            var value: Int64 = 0
            for _ in 0..<digits {
                let char = chars[index]
                guard char >= UInt8(ascii: "0"), char <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(char - UInt8(ascii: "0"))
                index += 1
            }
            return value
        }
        func expect(_ options: String) -> Bool {
            guard index < chars.count, options.utf8.contains(chars[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect("T "),
              let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < chars.count, chars[index] >= UInt8(ascii: "0"), chars[index] <= UInt8(ascii: "9") { index += 1 }
            guard index > start else { return nil }
        }
        var offset: Int64 = 0
        if index < chars.count {
            if chars[index] == UInt8(ascii: "Z") {
                index += 1
            } else {
                let sign: Int64 = chars[index] == UInt8(ascii: "-") ? -1 : 1
                guard expect("+-"), let hours = number(2), hours <= 23 else { return nil }
                var minutes: Int64 = 0
                if index < chars.count {
                    _ = expect(":")
                    guard let value = number(2), value < 60 else { return nil }
                    minutes = value
                }
                offset = sign * (hours * 3600 + minutes * 60)
            }
        }
        guard index == chars.count, day <= daysInMonth(year, month) else { return nil }
        return daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    }

    static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Int(month) - 1]
    }

    /// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
