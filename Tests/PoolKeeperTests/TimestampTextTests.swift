import Foundation
@testable import PoolKeeper
import PoolKeeperTestSupport
import Testing

@Suite("TimestampText: a Date as the text of the timestamptz PostgresNIO would bind")
struct TimestampTextTests {
    @Test("whole seconds match Foundation's ISO 8601 formatter over 1601 to 9999")
    func matchesFoundation() {
        let formatter = ISO8601DateFormatter()  // UTC, proleptic Gregorian from 1582 on
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<5_000 {
            let seconds = Double(Int64.random(in: -11_644_473_600 ... 253_402_300_799, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            let expected = formatter.string(from: date).replacingOccurrences(of: "Z", with: ".000000Z")
            #expect(TimestampText.iso8601(date) == expected)
        }
    }

    @Test("the microsecond is PostgresNIO's: truncated toward zero from 2000-01-01")
    func microseconds() {
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: 1_700_000_000.1234567)) == "2023-11-14T22:13:20.123456Z")
        // Half a microsecond before 2000: toward zero is 2000 itself (rounding
        // down would give 23:59:59.999999, and a batch replay would not match).
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: 946_684_799.9999995)) == "2000-01-01T00:00:00.000000Z")
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750000Z")
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
    }

    @Test("the years 1 and 9999 are the ends; outside them, and NaN or infinity, there is no text")
    func range() {
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00.000000Z")
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: 253_402_300_799)) == "9999-12-31T23:59:59.000000Z")
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: -62_135_596_801)) == nil)
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: 253_402_300_800)) == nil)
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: .nan)) == nil)
        #expect(TimestampText.iso8601(.distantFuture) != nil)
        #expect(TimestampText.iso8601(Date(timeIntervalSince1970: .infinity)) == nil)
    }
}
