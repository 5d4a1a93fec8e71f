import ArgumentParser
import Foundation
import PoolKeeper

/// `poolkeeper report metrics`: `pool_metrics` or `investor_metrics`.
struct MetricsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Paid-in, distributions, NAV, DPI, RVPI, TVPI, MOIC and IRR of a pool, or of an investor in each of their pools.",
        discussion: """
            Over ledger rows up to the end of --as-of (UTC days). IRR is XIRR (actual/365) of the cash flows and the \
            NAV on the date; irr_note says why it is empty. Example: poolkeeper report metrics --pool 7 --as-of 2026-09-30
            """
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "A pool's id.")
    var pool: Int64?
    @Option(name: .long, help: "An investor's id (instead of --pool).")
    var investor: Int64?
    @Option(name: .long, help: "The date, YYYY-MM-DD (default: today, UTC).")
    var asOf: CalendarDate?

    func validate() throws {
        guard (pool == nil) != (investor == nil) else { throw ValidationError("give either --pool or --investor") }
    }

    func run() async throws {
        let (pool, investor, asOf) = (self.pool.map(PoolID.init(rawValue:)), self.investor.map(InvestorID.init(rawValue:)),
                                      self.asOf ?? .today)
        try await report.print { client in
            if let pool { return Self.table([try await client.poolMetrics(pool: pool, asOf: asOf)]) }
            return Self.table(try await client.investorMetrics(investor: investor!, asOf: asOf))
        }
    }

    static func table(_ lines: [FundMetrics]) -> ReportTable {
        var table = ReportTable([("pool_id", .integer), ("investor_id", .integer), ("as_of", .text), ("currency", .text),
                                 ("paid_in", .amount), ("distributions", .amount), ("withdrawals", .amount), ("fees", .amount),
                                 ("nav", .amount), ("valuation_date", .text), ("dpi", .amount), ("rvpi", .amount),
                                 ("tvpi", .amount), ("moic", .amount), ("irr", .amount), ("irr_note", .text)])
        for m in lines {
            table.append(["\(m.poolID)", m.investorID.map { "\($0)" }, "\(m.asOf)", m.currency, "\(m.paidIn)",
                          "\(m.distributions)", "\(m.withdrawals)", "\(m.fees)", m.nav.map { "\($0)" },
                          m.valuationDate.map { "\($0)" }, m.dpi.map { "\($0)" }, m.rvpi.map { "\($0)" },
                          m.tvpi.map { "\($0)" }, m.moic.map { "\($0)" }, m.irr.map { "\($0)" }, m.irrNote])
        }
        return table
    }
}

/// `poolkeeper report obligations`: `capital_call_obligations`.
struct ObligationsReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "obligations",
        abstract: "What each investor was called, has paid and still owes on capital calls.",
        discussion: "Example: poolkeeper report obligations --pool 7"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "Only this capital call.")
    var call: Int64?
    @Option(name: .long, help: "Only this pool's calls.")
    var pool: Int64?

    func run() async throws {
        let (call, pool) = (self.call.map(OperationID.init(rawValue:)), self.pool.map(PoolID.init(rawValue:)))
        try await report.print { Self.table(try await $0.obligations(call: call, pool: pool)) }
    }

    static func table(_ lines: [Obligation]) -> ReportTable {
        var table = ReportTable([("call_id", .integer), ("pool_id", .integer), ("investor_id", .integer), ("due_date", .text),
                                 ("called", .amount), ("paid", .amount), ("outstanding", .amount), ("overdue", .text)])
        for o in lines {
            table.append(["\(o.callID)", "\(o.poolID)", "\(o.investorID)", "\(o.dueDate)", "\(o.called)", "\(o.paid)",
                          "\(o.outstanding)", o.isOverdue ? "yes" : "no"])
        }
        return table
    }
}

/// `poolkeeper report nav`: `nav_shares`.
struct NAVReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nav",
        abstract: "Each investor's share of a pool's latest valuation on or before a date.",
        discussion: "Shares are pro rata to net invested capital on the valuation's day, and sum to the NAV exactly. Example: poolkeeper report nav --pool 7"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "The pool's id.")
    var pool: Int64
    @Option(name: .long, help: "The date, YYYY-MM-DD (default: today, UTC).")
    var asOf: CalendarDate?

    func run() async throws {
        let (pool, asOf) = (PoolID(rawValue: self.pool), self.asOf ?? .today)
        try await report.print { Self.table(try await $0.navShares(pool: pool, asOf: asOf)) }
    }

    static func table(_ shares: [NAVShare]) -> ReportTable {
        var table = ReportTable([("investor_id", .integer), ("valuation_date", .text), ("net_invested", .amount),
                                 ("nav_share", .amount)])
        for s in shares {
            table.append(["\(s.investorID)", "\(s.valuationDate)", "\(s.netInvested)", s.share.map { "\($0)" }])
        }
        return table
    }
}
