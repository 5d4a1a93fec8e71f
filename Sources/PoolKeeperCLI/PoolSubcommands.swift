import ArgumentParser
import Foundation
import PoolKeeper

/// `poolkeeper pool call-capital`: `call_capital`, then its obligations.
struct CallCapitalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call-capital",
        abstract: "Call capital from a pool's members, pro rata to their commitments, and print each obligation.",
        discussion: "Example: poolkeeper pool call-capital --pool 7 --total 250000 --due 2026-12-31 --idempotency-key q4-call"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "The pool's id.")
    var pool: Int64
    @Option(name: .long, help: "The amount to call, in the pool's currency.")
    var total: Decimal
    @Option(name: .long, help: "The due date, YYYY-MM-DD.")
    var due: CalendarDate
    @Option(name: .long, help: "Makes a repeat of this call write nothing.")
    var idempotencyKey: String?

    func run() async throws {
        let (pool, total, due, key) = (PoolID(rawValue: self.pool), self.total, self.due, idempotencyKey)
        try await report.print { client in
            let call = try await client.callCapital(total, pool: pool, dueDate: due, idempotencyKey: key)
            return ObligationsReport.table(try await client.obligations(call: call))
        }
    }
}

/// `poolkeeper pool pay`: `pay_capital_call`.
struct PayCapitalCallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pay",
        abstract: "Record an investor's payment of a capital call (a contribution), and print the obligation after it.",
        discussion: "Without --amount the payment is everything outstanding. Example: poolkeeper pool pay --call 12 --investor 42 --amount 5000"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "The capital call's id.")
    var call: Int64
    @Option(name: .long, help: "The investor's id.")
    var investor: Int64
    @Option(name: .long, help: "The amount paid (default: all that is outstanding).")
    var amount: Decimal?
    @Option(name: .long, help: "Makes a repeat of this payment write nothing.")
    var idempotencyKey: String?

    func run() async throws {
        let (call, investor, amount, key) = (OperationID(rawValue: self.call), InvestorID(rawValue: self.investor), self.amount,
                                             idempotencyKey)
        try await report.print { client in
            let row = try await client.payCapitalCall(call, investor: investor, amount: amount, idempotencyKey: key)
            var table = ReportTable([("transaction_id", .integer), ("call_id", .integer), ("investor_id", .integer),
                                     ("called", .amount), ("paid", .amount), ("outstanding", .amount)])
            for owed in try await client.obligations(call: call) where owed.investorID == investor {
                table.append(["\(row)", "\(owed.callID)", "\(owed.investorID)", "\(owed.called)", "\(owed.paid)", "\(owed.outstanding)"])
            }
            return table
        }
    }
}

/// `poolkeeper pool distribute`: `distribute`, then its ledger rows.
struct DistributeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distribute",
        abstract: "Distribute an amount to a pool's members pro rata, one ledger row each, and print the rows.",
        discussion: "Example: poolkeeper pool distribute --pool 7 --total 1000.00 --basis commitment"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "The pool's id.")
    var pool: Int64
    @Option(name: .long, help: "The amount to distribute, in the pool's currency.")
    var total: Decimal
    @Option(name: .long, help: "net_invested or commitment.")
    var basis: DistributionBasis = .netInvested
    @Option(name: .long, help: "Makes a repeat of this distribution write nothing.")
    var idempotencyKey: String?

    func run() async throws {
        let (pool, total, basis, key) = (PoolID(rawValue: self.pool), self.total, self.basis, idempotencyKey)
        try await report.print { client in
            let operation = try await client.distribute(total, toMembersOf: pool, basis: basis, idempotencyKey: key)
            var rows: [LedgerTransaction] = []
            var page = try await client.transactions(in: pool, operation: operation, limit: 10_000)
            while true {
                rows += page.transactions
                guard let next = page.next else { break }
                page = try await client.transactions(in: pool, operation: operation, after: next, limit: 10_000)
            }
            var table = ReportTable([("operation_id", .integer), ("transaction_id", .integer), ("investor_id", .integer),
                                     ("amount", .amount), ("currency", .text)])
            for row in rows {
                table.append(["\(operation)", "\(row.id)", "\(row.investorID)", "\(row.amount.amount)", row.amount.currency])
            }
            return table
        }
    }
}

/// `poolkeeper pool valuation`: `record_valuation`, then the NAV shares.
struct ValuationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "valuation",
        abstract: "Record a pool's net asset value on a date, and print each investor's share of it.",
        discussion: "A second value for the same date restates the first. Example: poolkeeper pool valuation --pool 7 --as-of 2026-09-30 --nav 5400000"
    )
    @OptionGroup var report: ReportOptions
    @Option(name: .long, help: "The pool's id.")
    var pool: Int64
    @Option(name: .long, help: "The valuation's date, YYYY-MM-DD (not after today, UTC).")
    var asOf: CalendarDate
    @Option(name: .long, help: "The net asset value, in the pool's currency.")
    var nav: Decimal

    func run() async throws {
        let (pool, asOf, nav) = (PoolID(rawValue: self.pool), self.asOf, self.nav)
        try await report.print { client in
            try await client.recordValuation(nav, pool: pool, asOf: asOf)
            return NAVReport.table(try await client.navShares(pool: pool, asOf: asOf))
        }
    }
}
