import ArgumentParser
import Foundation
import Logging
import PoolKeeper

/// `poolkeeper-stress`: many clients (the Swift library and raw SQL) run a
/// seeded mix of every operation against the private database while faults
/// are injected at seeded moments; then every invariant is checked. Prints
/// one line per check ("ok" / "not ok") and a summary; exits non-zero when a
/// check fails. scripts/stress builds and runs it.
@main
struct StressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poolkeeper-stress",
        abstract: "Seeded load with faults, then the ledger's invariants (see docs/reliability.md)."
    )

    @Option(help: "How long the load runs, in seconds.")
    var seconds: Int = 60

    @Option(help: "The seed of the operation mix and of the fault schedule.")
    var seed: UInt64 = 20261204

    @Option(help: "Clients that work through the Swift library.")
    var libraryClients: Int = 6

    @Option(help: "Clients that work through raw SQL on connections of their own.")
    var sqlClients: Int = 4

    @Option(help: "Mean seconds between two faults (0: no faults).")
    var faultInterval: Double = 5

    @Option(help: "The command that crashes the server and starts it again (stop -m immediate, start).")
    var crashCommand: String = "scripts/db crash"

    @Option(help: "Cold pools (each with 8 members); one hot pool takes most posts.")
    var coldPools: Int = 30

    mutating func run() async throws {
        var logger = Logger(label: "poolkeeper-stress")
        logger.logLevel = ProcessInfo.processInfo.environment["POOLKEEPER_STRESS_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let settings = try ConnectionSettings.fromEnvironment()
        let plan = StressPlan(seconds: seconds, seed: seed, libraryClients: libraryClients, sqlClients: sqlClients,
                              faultInterval: faultInterval, crashCommand: crashCommand, coldPools: coldPools)
        let report = try await StressRun(plan: plan, settings: settings, logger: logger).run()
        print(report.text)
        if !report.passed { throw ExitCode(1) }
    }
}

/// What one run does: its length, seed, clients and faults.
struct StressPlan: Sendable {
    var seconds: Int
    var seed: UInt64
    var libraryClients: Int
    var sqlClients: Int
    var faultInterval: Double
    var crashCommand: String
    var coldPools: Int
}
