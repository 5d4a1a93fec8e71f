import ArgumentParser
import PoolKeeper

/// `poolkeeper pool`: the fund operations a manager runs on a pool.
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool",
        abstract: "Fund operations: call capital, record payments, distribute, record a valuation.",
        discussion: """
            Splits are exact in the pool currency's minor units (largest remainder; ties go to the larger \
            weight, then the smaller investor id). Each command prints what it wrote; with --idempotency-key \
            a repeat writes nothing and prints the same.

            Examples:
              poolkeeper pool call-capital --pool 7 --total 250000 --due 2026-12-31 --idempotency-key q4-call
              poolkeeper pool pay --call 12 --investor 42
              poolkeeper pool distribute --pool 7 --total 1000.00 --basis net_invested --idempotency-key q4-dist
              poolkeeper pool valuation --pool 7 --as-of 2026-09-30 --nav 5400000
            """,
        subcommands: [CallCapitalCommand.self, PayCapitalCallCommand.self, DistributeCommand.self, ValuationCommand.self]
    )
}

extension DistributionBasis: ExpressibleByArgument {}
