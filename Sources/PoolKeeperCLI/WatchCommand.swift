import ArgumentParser
import Foundation
import Logging
import PoolKeeper
import ServiceLifecycle

/// `poolkeeper watch`: runs a spike monitor and prints every alert as it commits.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Print every alert as it commits, and raise spike alerts.",
        discussion: """
            Runs a spike monitor (unless --no-detect) that raises spike alerts into the database, and prints \
            every alert that commits from now on (or after --after), both kinds, each exactly once, across \
            reconnects and server restarts. Stops cleanly on SIGINT and SIGTERM.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print one JSON object per line: alert_id, kind, pool_id, transaction_id, raised_at, details.")
    var json = false

    @Flag(name: .customLong("no-detect"), help: "Only relay alerts; do not run a spike monitor.")
    var noDetect = false

    @Option(name: .long, help: "A cursor of the alert feed (as printed with --json) to resume after, instead of now.")
    var after: String?

    @Option(name: .long, help: "Watch only this pool (repeat for several); by default every pool.")
    var pool: [Int64] = []

    @Option(name: .long, help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level \(logLevel) is not a log level") }
    }

    func run() async throws {
        var logger = Logger(label: "poolkeeper")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let settings = try connection.settings()
        let client = try PoolKeeperClient(settings: settings, maximumConnections: 2, logger: logger)
        do {
            // A wrong password or database is reported at once, in the server's words; the client's
            // pool serves only this start (the streams and the monitor use connections of their own).
            let after = self.after
            let start = try await connection.withTimeout(running: client) { () async throws -> FeedCursor in
                try await client.checkConnection()
                if let after { return FeedCursor(after) }
                return try await client.feedCursor()
            }
            let pools = pool.isEmpty ? nil : Set(pool.map(PoolID.init(rawValue:)))
            var services: [any Service] = [AlertPrinter(client: client, after: start, pools: pools, json: json)]
            if !noDetect { services.append(SpikeMonitor(client: client, options: SpikeMonitor.Options(pools: pools))) }
            let group = ServiceGroup(configuration: .init(
                services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
            try await group.run()
        } catch let error as PoolKeeperError {
            printError("poolkeeper: \(error)")
            throw ExitCode.failure
        }
    }
}

/// Prints each alert of the alert stream as it arrives, flushing every line.
struct AlertPrinter: Service {
    let client: PoolKeeperClient
    let after: FeedCursor?
    /// Only alerts of these pools are printed; nil: every alert.
    let pools: Set<PoolID>?
    let json: Bool

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            for try await entry in client.alertStream(after: after) where pools?.contains(entry.poolID) ?? true {
                let line = json ? AlertLine.json(entry) : AlertLine.text(entry.item)
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
        }
    }
}

/// How `watch` prints an alert.
enum AlertLine {
    /// One JSON object: alert_id, kind, pool_id, transaction_id (or null),
    /// raised_at (ISO 8601, microseconds), details (the stored object) and
    /// cursor (pass to --after to resume after this alert).
    static func json(_ entry: FeedEntry<Alert>) -> String {
        let alert = entry.item
        return "{\"alert_id\":\(alert.id),\"kind\":\(quoted(alert.kind.rawValue)),\"pool_id\":\(alert.poolID),"
            + "\"transaction_id\":\(alert.transactionID.map { "\($0)" } ?? "null"),\"raised_at\":\(quoted(timestamp(alert.raisedAt))),"
            + "\"details\":\(alert.detailsJSON),\"cursor\":\(quoted(entry.cursor.rawValue))}"
    }

    /// One line for people: time, kind, ids and details.
    static func text(_ alert: Alert) -> String {
        let row = alert.transactionID.map { " row \($0)" } ?? ""
        return "\(timestamp(alert.raisedAt)) \(alert.kind.rawValue) alert \(alert.id): pool \(alert.poolID)\(row) \(alert.detailsJSON)"
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// `text` as a JSON string.
    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
