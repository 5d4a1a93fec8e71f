import ArgumentParser
import Foundation
import Logging
import PoolKeeper

/// `poolkeeper demo`: the whole system working, from an empty database to reports.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Seed pools with history, stream live traffic, print the alerts as they fire, then the reports.",
        discussion: """
            With no connection settings (no --database-url and none of PGHOST, PGPORT, PGUSER, PGDATABASE, \
            PGSERVICE) it starts, or reuses, the checkout's private database (scripts/db) and uses database \
            poolkeeper_demo in it; otherwise it uses the database those settings name. Either way it creates \
            the extension there, or updates it, and adds new pools: it never changes existing rows.

            It creates 3 managers, 6 pools and 40 investors, posts 600 rows backdated over six months, starts a \
            spike monitor, then posts live rows: a contribution above the first pool's threshold, then a burst of 150 rows in \
            that pool. It prints each alert as it commits and exits 0 once both kinds have fired and the reports \
            are printed; 1 if they do not fire within --alert-timeout seconds.

            Examples:
              swift run poolkeeper demo
              poolkeeper demo --database-url postgres://me@db.example.com/sandbox
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "Seed of the simulated data.")
    var seed: UInt64 = 7
    @Option(name: .long, help: "Seconds to wait for both alerts.")
    var alertTimeout = 60

    func run() async throws {
        var logger = Logger(label: "poolkeeper")
        logger.logLevel = .error
        do {
            let settings: ConnectionSettings
            if PrivateDatabase.settingsGiven(url: connection.url) {
                settings = try connection.settings()
            } else {
                say("Starting the private database (scripts/db) and installing the extension ...")
                settings = try PrivateDatabase.start(database: "poolkeeper_demo")
            }
            try await DemoRun(settings: settings, seed: seed, alertTimeout: alertTimeout, logger: logger).run()
        } catch let error as PoolKeeperError {
            printError("poolkeeper: \(error)")
            throw ExitCode.failure
        }
    }
}

/// Prints a line at once, even into a pipe.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// One run of the demo against a database.
struct DemoRun {
    let settings: ConnectionSettings
    let seed: UInt64
    let alertTimeout: Int
    let logger: Logger

    func run() async throws {
        let client = try PoolKeeperClient(settings: settings, maximumConnections: 4, logger: logger)
        try await client.checkConnection()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { group.cancelAll() }
            try await demo(client)
        }
    }

    private func demo(_ client: PoolKeeperClient) async throws {
        do {
            _ = try await client.postgres.query("CREATE EXTENSION IF NOT EXISTS poolkeeper", logger: logger).collect()
            _ = try await client.postgres.query("ALTER EXTENSION poolkeeper UPDATE", logger: logger).collect()
        } catch {
            throw PoolKeeperError(error)  // the server's SQLSTATE and message, in one line
        }
        say("poolkeeper \(try await client.extensionVersion()) is installed.")

        let threshold: Decimal = 100_000
        var funds = SimulatedFunds(client: client, seed: seed)
        try await funds.create(managers: 3, poolCount: 6, investorCount: 40, rule: SimulateCommand.rule(threshold: threshold))
        try await funds.seedHistory(count: 600, days: 180)
        guard let pool = funds.pools.first else { return }
        say("Seeded 3 managers, \(funds.pools.count) pools, 40 investors and \(funds.posted) ledger rows over six months.")
        say("Alert rule on each pool: a row above \(threshold) USD; a spike when 5 s hold 5x the rate of the 60 s before (at least 10 rows).")

        // The history was posted just now: let its rows age past the short window, so that the
        // monitor counts them as baseline and does not report the seeding itself as a spike.
        try await Task.sleep(for: .seconds(6))
        let cursor = try await client.feedCursor()
        let seen = SeenKinds()
        let monitor = Task { try await SpikeMonitor(client: client).run() }
        let printer = Task {
            for try await entry in client.alertStream(after: cursor) {
                say("  ALERT  " + AlertLine.text(entry.item))
                await seen.insert(entry.kind)
            }
        }
        defer { monitor.cancel(); printer.cancel() }
        try await Task.sleep(for: .seconds(1))

        say("Live traffic: about 3 rows per second across the pools (a dot per row) ...")
        let clock = ContinuousClock()
        let start = clock.now
        var (largePosted, burstPosted) = (false, false)
        while await !seen.hasBoth {
            let elapsed = clock.now - start
            guard elapsed < .seconds(alertTimeout) else {
                throw PoolKeeperError(code: .server, message: "the alerts did not fire within \(alertTimeout) s: \(await seen.kinds)")
            }
            if !largePosted, elapsed >= .seconds(3), let investor = funds.member(of: pool) {
                say("\n  -> investor \(investor) contributes 250000.00 USD to pool \(pool) (threshold \(threshold))")
                try await funds.post(.contribution, 250_000, pool: pool, investor: investor)
                largePosted = true
            }
            if !burstPosted, elapsed >= .seconds(7) {
                say("\n  -> a burst: 150 rows into pool \(pool) within a second or so")
                for _ in 0..<150 {
                    guard let investor = funds.member(of: pool) else { break }
                    try await funds.post(.contribution, Decimal(Int.random(in: 10_000...500_000, using: &funds.random)) / 100,
                                         pool: pool, investor: investor)
                }
                burstPosted = true
            }
            if let any = funds.pools.randomElement(using: &funds.random) { try await funds.postRandom(in: any) }
            FileHandle.standardOutput.write(Data(".".utf8))
            try await Task.sleep(for: .milliseconds(330))
        }
        try await Task.sleep(for: .milliseconds(500))
        say("\nBoth kinds of alert fired. The reports:")
        try await printReports(client, focus: pool)
        try await runQuarter(client, pool: pool, threshold: threshold)
    }

    /// A quarter's fund operations on `pool`, printed as the `poolkeeper pool`
    /// and `report metrics` commands print them: a capital call of a tenth of
    /// the commitments, a distribution below the alert threshold (its rows
    /// are one event for the spike monitor still running), a valuation and
    /// the metrics.
    private func runQuarter(_ client: PoolKeeperClient, pool: PoolID, threshold: Decimal) async throws {
        guard let summary = try await client.poolSummaries(pool: pool).first, summary.committed > 0 else { return }
        say("\nA quarter's fund operations on pool \(pool):")
        var tenth = summary.committed / 10
        var rounded = Decimal()
        NSDecimalRound(&rounded, &tenth, 2, .down)
        let due = try CalendarDate(Date().addingTimeInterval(30 * 86_400))
        let call = try await client.callCapital(rounded, pool: pool, dueDate: due)
        let owed = ObligationsReport.table(try await client.obligations(call: call))
            .selecting(["investor_id", "due_date", "called", "outstanding"])
        say("\n$ poolkeeper pool call-capital --pool \(pool) --total \(rounded) --due \(due)\n" + owed.render(.table))

        let total = min(threshold / 2, summary.netInvested / 10)
        var cents = total, distributed = Decimal()
        NSDecimalRound(&distributed, &cents, 2, .down)
        let operation = try await client.distribute(distributed, toMembersOf: pool)
        var table = ReportTable([("investor_id", .integer), ("amount", .amount)])
        for row in try await client.transactions(in: pool, operation: operation, limit: 10_000).transactions {
            table.append(["\(row.investorID)", "\(row.amount.amount)"])
        }
        say("\n$ poolkeeper pool distribute --pool \(pool) --total \(distributed)   # operation \(operation): one event, not a spike\n"
            + table.render(.table))

        var worth = summary.netInvested * Decimal(string: "1.15")!, nav = Decimal()
        NSDecimalRound(&nav, &worth, 2, .down)
        try await client.recordValuation(nav, pool: pool, asOf: .today)
        let metrics = MetricsReport.table([try await client.poolMetrics(pool: pool)])
            .selecting(["paid_in", "distributions", "nav", "dpi", "tvpi", "moic", "irr"])
        say("\n$ poolkeeper pool valuation --pool \(pool) --as-of \(CalendarDate.today) --nav \(nav)"
            + "\n$ poolkeeper report metrics --pool \(pool)\n" + metrics.render(.table))
    }

    /// The tables the `poolkeeper report` commands print, with the columns that fit a terminal.
    private func printReports(_ client: PoolKeeperClient, focus pool: PoolID) async throws {
        let leaders = try await client.topInvestors(limit: 5)
        say("\n$ poolkeeper report top-investors\n" + TopInvestorsReport.table(leaders).render(.table))

        let pools = PoolsReport.table(try await client.poolSummaries().filter { $0.managerName.hasSuffix("Capital Partners") })
            .selecting(["pool_id", "pool_name", "manager", "members", "committed", "contributed", "net_invested"])
        say("\n$ poolkeeper report pools\n" + pools.render(.table))

        if let leader = leaders.first {
            let from = Date().addingTimeInterval(-90 * 86_400)
            let statement = StatementReport.table(try await client.investorStatement(leader.investorID, from: from))
                .selecting(["pool_id", "pool_name", "opening_balance", "contributed", "withdrawn", "fees", "closing_balance"])
            say("\n$ poolkeeper report statement --investor \(leader.investorID) --from <90 days ago>\n" + statement.render(.table))
        }

        let activity = ActivityReport.table(try await client.poolActivity(pool: pool, per: .month))
            .selecting(["bucket_start", "transactions", "contributions", "net_flow"])
        say("\n$ poolkeeper report activity --pool \(pool) --per month\n" + activity.render(.table))

        let alerts = AlertsReport.table(try await client.alertHistory(pool: pool, limit: 5))
            .selecting(["alert_id", "kind", "pool_id", "raised_at"])
        say("\n$ poolkeeper report alerts --pool \(pool) --limit 5\n" + alerts.render(.table))
    }
}

/// The kinds of alert the demo has printed.
actor SeenKinds {
    private(set) var kinds: Set<Alert.Kind> = []
    func insert(_ kind: Alert.Kind) { kinds.insert(kind) }
    var hasBoth: Bool { kinds.contains(.largeTransaction) && kinds.contains(.spike) }
}
