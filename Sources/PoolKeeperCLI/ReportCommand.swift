import ArgumentParser
import Foundation
import PoolKeeper

/// `poolkeeper report`: the extension's reports, as a table, JSON or CSV.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print a report: top investors, pools, a statement, activity, alerts, fund metrics, obligations or NAV shares.",
        discussion: """
            Periods are [--from, --to) of when each ledger row occurred (of when each alert was raised), \
            as a date (midnight UTC) or an ISO 8601 time; either may be left out.

            Examples:
              poolkeeper report top-investors --limit 10
              poolkeeper report pools --manager 1 --format csv
              poolkeeper report statement --investor 42 --from 2026-01-01 --to 2026-04-01
              poolkeeper report activity --pool 7 --per month --format json
              poolkeeper report alerts --kind spike --limit 20
              poolkeeper report metrics --pool 7 --as-of 2026-09-30
              poolkeeper report obligations --pool 7
              poolkeeper report nav --pool 7
            """,
        subcommands: [TopInvestorsReport.self, PoolsReport.self, StatementReport.self, ActivityReport.self, AlertsReport.self,
                      MetricsReport.self, ObligationsReport.self, NAVReport.self]
    )
}

/// Options every report takes: the connection and the output format.
struct ReportOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Option(name: .long, help: "table, json or csv.")
    var format: ReportTable.Format = .table

    /// Runs `body` as one request (``ConnectionOptions/request(_:)``) and prints the table it returns.
    func print(_ body: @escaping @Sendable (PoolKeeperClient) async throws -> ReportTable) async throws {
        Swift.print(try await connection.request(body).render(format))
    }
}

/// A period's --from and --to.
struct PeriodOptions: ParsableArguments {
    @Option(name: .long, help: "Start of the period (inclusive): a date or an ISO 8601 time.")
    var from: String?

    @Option(name: .long, help: "End of the period (exclusive): a date or an ISO 8601 time.")
    var to: String?

    func validate() throws {
        let (from, to) = try dates()
        if let from, let to, from >= to { throw ValidationError("--from must be before --to") }
    }

    /// The two ends as dates; throws a ValidationError naming a malformed one.
    func dates() throws -> (Date?, Date?) {
        (try Self.date(from, "--from"), try Self.date(to, "--to"))
    }

    /// `YYYY-MM-DD` (midnight UTC) or an ISO 8601 time, to the second.
    static func date(_ text: String?, _ flag: String) throws -> Date? {
        guard let text else { return nil }
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        guard let seconds = ISO8601Seconds.parse(Substring(full)) else {
            throw ValidationError("\(flag) \(text) is not a date (2026-01-31) or an ISO 8601 time (2026-01-31T09:30:00Z)")
        }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}

extension ReportTable.Format: ExpressibleByArgument {}
extension ActivityBucket.Length: ExpressibleByArgument {}
extension Alert.Kind: ExpressibleByArgument {}
