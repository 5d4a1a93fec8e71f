import ArgumentParser
import Foundation
import PoolKeeper

/// `poolkeeper report top-investors`: `top_investors`.
struct TopInvestorsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top-investors",
        abstract: "Investors by the number of distinct pools they contributed to, then by total contributed.",
        discussion: "Reversed contributions count as never made. Example: poolkeeper report top-investors --limit 5 --from 2026-01-01"
    )
    @OptionGroup var report: ReportOptions
    @OptionGroup var period: PeriodOptions
    @Option(name: .long, help: "How many investors (1 to 10000).")
    var limit: Int = 5

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() async throws {
        let (limit, (from, to)) = (self.limit, try period.dates())
        try await report.print { Self.table(try await $0.topInvestors(limit: limit, from: from, to: to)) }
    }

    static func table(_ lines: [TopInvestor]) -> ReportTable {
        var table = ReportTable([("investor_id", .integer), ("investor_name", .text), ("pool_count", .integer),
                                 ("total_invested", .amount)])
        for line in lines {
            table.append(["\(line.investorID)", line.investorName, "\(line.poolCount)", "\(line.totalInvested)"])
        }
        return table
    }
}

/// `poolkeeper report pools`: `pool_summary`.
struct PoolsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pools",
        abstract: "Each pool's manager, currency, members, commitments, totals and last activity.",
        discussion: "Example: poolkeeper report pools --manager 1"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "Only this pool.")
    var pool: Int64?
    @Option(name: .long, help: "Only this manager's pools.")
    var manager: Int64?

    func run() async throws {
        let (pool, manager) = (self.pool.map(PoolID.init(rawValue:)), self.manager.map(ManagerID.init(rawValue:)))
        try await report.print { Self.table(try await $0.poolSummaries(pool: pool, manager: manager)) }
    }

    static func table(_ summaries: [PoolSummary]) -> ReportTable {
        var table = ReportTable([("pool_id", .integer), ("pool_name", .text), ("manager", .text), ("currency", .text),
                                 ("status", .text), ("members", .integer), ("committed", .amount), ("contributed", .amount),
                                 ("withdrawn", .amount), ("distributed", .amount), ("fees", .amount),
                                 ("net_invested", .amount), ("last_activity_at", .text)])
        for s in summaries {
            table.append(["\(s.poolID)", s.poolName, s.managerName, s.currency, s.isOpen ? "open" : "closed",
                          "\(s.members)", "\(s.committed)", "\(s.contributed)", "\(s.withdrawn)", "\(s.distributed)",
                          "\(s.fees)", "\(s.netInvested)", s.lastActivityAt.map(AlertLine.timestamp)])
        }
        return table
    }
}

/// `poolkeeper report statement`: `investor_statement`.
struct StatementReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "statement",
        abstract: "One investor's opening balance, movements and closing balance in each pool, for a period.",
        discussion: "Balances are net invested (contributed - withdrawn - fees). Example: poolkeeper report statement --investor 42 --from 2026-01-01"
    )
    @OptionGroup var report: ReportOptions
    @OptionGroup var period: PeriodOptions
    @Option(name: .long, help: "The investor's id.")
    var investor: Int64

    func run() async throws {
        let (investor, (from, to)) = (InvestorID(rawValue: self.investor), try period.dates())
        try await report.print { Self.table(try await $0.investorStatement(investor, from: from, to: to)) }
    }

    static func table(_ lines: [StatementLine]) -> ReportTable {
        var table = ReportTable([("pool_id", .integer), ("pool_name", .text), ("currency", .text), ("opening_balance", .amount),
                                 ("contributed", .amount), ("withdrawn", .amount), ("distributed", .amount),
                                 ("fees", .amount), ("closing_balance", .amount)])
        for l in lines {
            table.append(["\(l.poolID)", l.poolName, l.currency, "\(l.openingBalance)", "\(l.contributed)",
                          "\(l.withdrawn)", "\(l.distributed)", "\(l.fees)", "\(l.closingBalance)"])
        }
        return table
    }
}

/// `poolkeeper report activity`: `pool_activity`.
struct ActivityReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "A pool's (or every pool's) ledger per day, week or month.",
        discussion: "Buckets are cut in the database session's time zone; weeks start on Monday. Example: poolkeeper report activity --pool 7 --per week"
    )
    @OptionGroup var report: ReportOptions
    @OptionGroup var period: PeriodOptions
    @Option(name: .long, help: "Only this pool; by default every pool.")
    var pool: Int64?
    @Option(name: .long, help: "day, week or month.")
    var per: ActivityBucket.Length = .day

    func run() async throws {
        let (pool, per, (from, to)) = (self.pool.map(PoolID.init(rawValue:)), self.per, try period.dates())
        try await report.print { Self.table(try await $0.poolActivity(pool: pool, per: per, from: from, to: to)) }
    }

    static func table(_ buckets: [ActivityBucket]) -> ReportTable {
        var table = ReportTable([("pool_id", .integer), ("bucket_start", .text), ("transactions", .integer),
                                 ("reversals", .integer), ("contributions", .amount), ("withdrawals", .amount),
                                 ("distributions", .amount), ("fees", .amount), ("net_flow", .amount)])
        for b in buckets {
            table.append(["\(b.poolID)", AlertLine.timestamp(b.start), "\(b.transactions)", "\(b.reversals)",
                          "\(b.contributions)", "\(b.withdrawals)", "\(b.distributions)", "\(b.fees)", "\(b.netFlow)"])
        }
        return table
    }
}

/// `poolkeeper report alerts`: `alert_history`.
struct AlertsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "The latest alerts, newest first, by pool, kind and period.",
        discussion: "Example: poolkeeper report alerts --pool 7 --kind large_transaction --limit 20"
    )
    @OptionGroup var report: ReportOptions
    @OptionGroup var period: PeriodOptions
    @Option(name: .long, help: "Only this pool.")
    var pool: Int64?
    @Option(name: .long, help: "large_transaction or spike.")
    var kind: Alert.Kind?
    @Option(name: .long, help: "How many alerts (1 to 10000).")
    var limit: Int = 100

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000") }
    }

    func run() async throws {
        let (pool, kind, limit, (from, to)) = (self.pool.map(PoolID.init(rawValue:)), self.kind, self.limit, try period.dates())
        try await report.print { Self.table(try await $0.alertHistory(pool: pool, kind: kind, from: from, to: to, limit: limit)) }
    }

    static func table(_ alerts: [Alert]) -> ReportTable {
        var table = ReportTable([("alert_id", .integer), ("kind", .text), ("pool_id", .integer), ("transaction_id", .integer),
                                 ("raised_at", .text), ("details", .object)])
        for a in alerts {
            table.append(["\(a.id)", a.kind.rawValue, "\(a.poolID)", a.transactionID.map { "\($0)" },
                          AlertLine.timestamp(a.raisedAt), a.detailsJSON])
        }
        return table
    }
}
