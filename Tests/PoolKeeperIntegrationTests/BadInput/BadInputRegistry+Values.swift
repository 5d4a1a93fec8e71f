import Foundation
import PoolKeeper

extension BadInputRegistry {
    static let values: [(String, BadInputEntry)] =
        ["AlertID", "InvestorID", "ManagerID", "OperationID", "PoolID", "TransactionID"].map {
            ("Identifiers.swift: \($0).init(rawValue:)", .noInput("any Int64 is an id; the entries above try unknown ones"))
        } + [
        ("Identifiers.swift: PoolKeeperIdentifier.init(integerLiteral:)", .noInput("any Int64 is an id")),
        ("Identifiers.swift: PoolKeeperIdentifier.<(lhs:rhs:)", .noInput("compares two ids")),
        ("Money.swift: Money.init(_:_:)", .noInput("a plain value the library returns; amounts are checked when posted")),
        ("Alert.swift: FeedCursor.init(_:)", .noInput("any text; the feed refuses a bad cursor (alerts(after:limit:) entries)")),
        ("FeedEntry.swift: FeedEntry.init(item:cursor:)", .noInput("a plain value")),
        ("FeedEntry.swift: FeedEntry.subscript(dynamicMember:)", .noInput("a key path the compiler checks")),
        ("AlertRule.swift: AlertRule.init(largeTransactionThreshold:spikeShortWindow:spikeBaselineWindow:spikeFactor:spikeMinCount:enabled:)",
         .noInput("a plain value: setAlertRule(_:for:) and SpikeRule.init(_:) check it (their entries)")),
        ("CalendarDate.swift: CalendarDate.<(lhs:rhs:)", .noInput("compares two valid dates")),
        ("CalendarDate.swift: CalendarDate.encode(to:)", .noInput("writes a valid date")),
        ("CalendarDate.swift: CalendarDate.init(year:month:day:)",
         .calls(each([("year 0", (0, 1, 1)), ("year 10000", (10_000, 1, 1)), ("February 30", (2026, 2, 30)), ("February 29, 2100", (2100, 2, 29)),
                      ("month 13", (2026, 13, 1)), ("month 0", (2026, 0, 1)), ("day 0", (2026, 1, 0)), ("Int.max", (Int.max, Int.max, Int.max)),
                      ("Int.min", (Int.min, Int.min, Int.min))], "", .invalidArgument) { _, parts in
             _ = try CalendarDate(year: parts.0, month: parts.1, day: parts.2)
         })),
        ("CalendarDate.swift: CalendarDate.init?(_:)",
         .calls(eachNil([("empty", ""), ("February 30", "2026-02-30"), ("short month", "2026-1-01"), ("year 0", "0000-01-01"),
                         ("full-width digits", "２０２６-01-01"), ("sign", "+026-01-01"), ("1 MB", BadValues.megabyte),
                         ("NUL", "2026-01-01\u{0}"), ("newline", "2026-01-01\n")], "text") { CalendarDate($0) })),
        ("CalendarDate.swift: CalendarDate.init(from:)",
         .calls([("February 30", "\"2026-02-30\""), ("a number", "20260101"), ("null", "null")].map { name, json in
             .accepted("\(name): a DecodingError, as Codable expects") { _ in
                 do {
                     _ = try JSONDecoder().decode(CalendarDate.self, from: Data(json.utf8))
                     return false
                 } catch is DecodingError {
                     return true
                 }
             }
         })),
        ("CalendarDate.swift: CalendarDate.init(_:in:)",
         .calls(each(BadValues.unrepresentableDates, "date", .invalidArgument) { _, date in _ = try CalendarDate(date) })),
    ]
}
