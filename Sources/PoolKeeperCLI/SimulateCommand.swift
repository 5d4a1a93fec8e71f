import ArgumentParser
import Foundation
import Logging
import PoolKeeper

/// `poolkeeper simulate`: realistic pools and a stream of live ledger rows.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Create simulated pools and investors, then post live traffic for a while.",
        discussion: """
            Creates --pools pools and --investors investors (each in one to four pools), with an alert rule \
            on each pool (--threshold; spikes: 5 s against 60 s, factor 5, at least 10 rows), optionally \
            --history rows spread over the last 180 days, then posts about --rate rows per second for \
            --duration seconds: mostly contributions, some distributions, withdrawals and fees. \
            --large-at and --burst-at inject an over-threshold contribution and a burst into the first pool. \
            The same --seed gives the same data. On a terminal it shows progress; it always ends with one \
            line of key=value pairs.

            Examples:
              poolkeeper simulate --pools 5 --investors 200 --rate 50 --duration 60
              poolkeeper simulate --duration 20 --large-at 5 --burst-at 10 --burst-size 80
            """
    )

    @OptionGroup var connection: ConnectionOptions
    @Option(name: .long, help: "Pools to create (1 to 1000).")
    var pools = 5
    @Option(name: .long, help: "Investors to create (1 to 100000).")
    var investors = 50
    @Option(name: .long, help: "Ledger rows to backdate over the last 180 days before the live traffic.")
    var history = 0
    @Option(name: .long, help: "Live ledger rows per second (1 to 5000).")
    var rate = 20
    @Option(name: .long, help: "Seconds of live traffic (0 to 86400).")
    var duration = 10
    @Option(name: .long, help: "Seed of the random choices.")
    var seed: UInt64 = 1
    @Option(name: .long, help: "Each pool's large-transaction threshold, in USD.")
    var threshold: Decimal = 100_000
    @Option(name: .long, help: "Post one contribution above the threshold this many seconds into the traffic.")
    var largeAt: Int?
    @Option(name: .long, help: "Post a burst of --burst-size rows this many seconds into the traffic.")
    var burstAt: Int?
    @Option(name: .long, help: "Rows in the burst (1 to 10000).")
    var burstSize = 60

    func validate() throws {
        guard (1...1000).contains(pools) else { throw ValidationError("--pools must be from 1 to 1000") }
        guard (1...100_000).contains(investors) else { throw ValidationError("--investors must be from 1 to 100000") }
        guard (0...10_000_000).contains(history) else { throw ValidationError("--history must be from 0 to 10000000") }
        guard (1...5000).contains(rate) else { throw ValidationError("--rate must be from 1 to 5000") }
        guard (0...86_400).contains(duration) else { throw ValidationError("--duration must be from 0 to 86400") }
        guard threshold > 0 else { throw ValidationError("--threshold must be positive") }
        guard (1...10_000).contains(burstSize) else { throw ValidationError("--burst-size must be from 1 to 10000") }
        for (flag, value) in [("--large-at", largeAt), ("--burst-at", burstAt)] {
            if let value, !(0..<max(duration, 1)).contains(value) {
                throw ValidationError("\(flag) must be within the --duration")
            }
        }
    }

    func run() async throws {
        var logger = Logger(label: "poolkeeper")
        logger.logLevel = .error
        let client = try PoolKeeperClient(settings: connection.settings(), maximumConnections: 2, logger: logger)
        let plan = self
        do {
            try await client.checkConnection()  // a wrong password or database, in the server's words
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await client.run() }
                defer { group.cancelAll() }
                try await plan.simulate(client)
            }
        } catch let error as PoolKeeperError {
            printError("poolkeeper: \(error)")
            throw ExitCode.failure
        }
    }

    private func simulate(_ client: PoolKeeperClient) async throws {
        let terminal = isatty(STDOUT_FILENO) == 1
        let started = ContinuousClock.now
        var funds = SimulatedFunds(client: client, seed: seed)
        try await funds.create(managers: max(1, pools / 4), poolCount: pools, investorCount: investors,
                               rule: Self.rule(threshold: threshold))
        if history > 0 { try await funds.seedHistory(count: history, days: 180) }
        let seeded = funds.posted
        let clock = ContinuousClock()
        let live = clock.now
        let interval = Duration.seconds(1) / rate
        var next = live
        var (largeDone, burstDone, lastShown) = (largeAt == nil, burstAt == nil, -1)
        while clock.now < live + .seconds(duration) {
            let elapsed = (clock.now - live).components.seconds
            if !largeDone, let largeAt, elapsed >= largeAt, let pool = funds.pools.first, let investor = funds.member(of: pool) {
                try await funds.post(.contribution, threshold * 2 + Decimal(string: "0.01")!, pool: pool, investor: investor)
                largeDone = true
            }
            if !burstDone, let burstAt, elapsed >= burstAt, let pool = funds.pools.first {
                for _ in 0..<burstSize { try await funds.postRandom(in: pool) }
                burstDone = true
            }
            if let pool = funds.pools.randomElement(using: &funds.random) { try await funds.postRandom(in: pool) }
            if terminal, elapsed != lastShown {
                lastShown = Int(elapsed)
                FileHandle.standardOutput.write(Data("\r\(elapsed) s of \(duration): \(funds.posted - seeded) live rows posted, \(funds.refused) refused ".utf8))
            }
            next += interval
            if next > clock.now { try await clock.sleep(until: next) } else { next = clock.now }
        }
        if terminal { print("") }
        let seconds = (clock.now - live) / .seconds(1)
        print("pools=\(funds.pools.map { "\($0)" }.joined(separator: ",")) investors=\(investors) history=\(seeded) "
              + "live=\(funds.posted - seeded) refused=\(funds.refused) seconds=\(String(format: "%.1f", seconds)) "
              + "rate=\(String(format: "%.1f", Double(funds.posted - seeded) / max(seconds, 0.001))) "
              + "total_seconds=\(String(format: "%.1f", (ContinuousClock.now - started) / .seconds(1)))")
    }

    /// The rule `simulate` and `demo` set on their pools.
    static func rule(threshold: Decimal) -> AlertRule {
        AlertRule(largeTransactionThreshold: threshold, spikeShortWindow: .seconds(5), spikeBaselineWindow: .seconds(60),
                  spikeFactor: 5, spikeMinCount: 10)
    }
}

extension Decimal: @retroactive ExpressibleByArgument {
    /// Plain decimal notation only (`1000`, `-2.50`): Decimal(string:) alone
    /// would read `12abc` as 12.
    public init?(argument: String) {
        guard argument.wholeMatch(of: /-?[0-9]+(\.[0-9]+)?/) != nil,
              let value = Decimal(string: argument, locale: Locale(identifier: "en_US_POSIX")), value.isFinite else { return nil }
        self = value
    }
}

extension CalendarDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
