import ArgumentParser
import Foundation
import PoolKeeper
import PoolKeeperTestSupport

/// `poolkeeper-bench alert-latency`: how long a large_transaction alert takes
/// from its commit to its line printed by `poolkeeper watch --json`, under a
/// steady background load of posts.
struct AlertLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-latency",
        abstract: "Commit-to-printed latency of large_transaction alerts through `poolkeeper watch --json`, under background load.",
        discussion: "Connects with the libpq environment variables; writes pools, investors and rows into that database."
    )

    @Option(help: "Background posts per second (below the threshold: they raise nothing).")
    var rate = 1000

    @Option(help: "Seconds of measurement.")
    var seconds = 20

    @Option(help: "Milliseconds between two probe posts (each above the threshold).")
    var probeInterval = 50

    @Option(help: "Concurrent background posters.")
    var posters = 8

    func run() async throws {
        try await withBenchClient(maximumConnections: posters + 2) { try await measure($0) }
    }

    private func measure(_ client: PoolKeeperClient) async throws {
        let manager = try await client.createManager(name: "bench \(UUID())")
        let background = try await client.createPool(manager: manager, name: "background \(UUID())", currency: "USD")
        let probe = try await client.createPool(manager: manager, name: "probe \(UUID())", currency: "USD")
        try await client.setAlertRule(AlertRule(largeTransactionThreshold: 1000), for: probe)
        var investors: [InvestorID] = []
        for index in 0..<posters {
            let investor = try await client.createInvestor(name: "bench investor \(index) \(UUID())")
            try await client.addInvestor(investor, to: background)
            investors.append(investor)
        }
        let prober = try await client.createInvestor(name: "bench prober \(UUID())")
        try await client.addInvestor(prober, to: probe)

        let watch = try RunningPoolKeeper(["watch", "--json", "--no-detect", "--log-level", "info"])
        guard try await watch.waitForLine(stderr: true, where: { $0.contains("the alerts feed is connected") }) != nil else {
            throw ValidationError("poolkeeper watch did not start: \(watch.errorLines.map(\.text))")
        }

        let clock = ContinuousClock()
        let end = clock.now + .seconds(seconds)
        let posted = try await withThrowingTaskGroup(of: Int.self) { group in
            for investor in investors {
                group.addTask {
                    // Each poster keeps its share of the rate on a fixed schedule.
                    let interval = Duration.seconds(Double(posters) / Double(rate))
                    var next = clock.now, count = 0
                    while next < end {
                        _ = try await client.post(.contribution, 1, pool: background, investor: investor)
                        count += 1
                        next += interval
                        if next > clock.now { try await Task.sleep(until: next, clock: clock) }
                    }
                    return count
                }
            }
            var probes: [(id: TransactionID, before: ContinuousClock.Instant, committed: ContinuousClock.Instant)] = []
            try await Task.sleep(for: .seconds(1))  // let the load settle
            while clock.now < end - .seconds(1) {
                let before = clock.now
                let id = try await client.post(.contribution, 5000, pool: probe, investor: prober)
                probes.append((id, before, clock.now))
                try await Task.sleep(for: .milliseconds(probeInterval))
            }
            var total = 0
            for try await count in group { total += count }
            try await Task.sleep(for: .seconds(1))
            report(probes: probes, watch: watch, backgroundRows: total)
            return total
        }
        _ = try await watch.stop()
        _ = posted
    }

    private func report(probes: [(id: TransactionID, before: ContinuousClock.Instant, committed: ContinuousClock.Instant)],
                        watch: RunningPoolKeeper, backgroundRows: Int) {
        struct Printed: Decodable { let transaction_id: Int64? }
        var printedAt: [Int64: ContinuousClock.Instant] = [:]
        for line in watch.lines {
            if let id = (try? JSONDecoder().decode(Printed.self, from: Data(line.text.utf8)))?.transaction_id, printedAt[id] == nil {
                printedAt[id] = line.at
            }
        }
        let fromCommit = probes.compactMap { probe in printedAt[probe.id.rawValue].map { milliseconds($0 - probe.committed) } }.sorted()
        let fromStart = probes.compactMap { probe in printedAt[probe.id.rawValue].map { milliseconds($0 - probe.before) } }.sorted()
        func percentile(_ values: [Double], _ p: Double) -> Double {
            values.isEmpty ? .nan : values[min(values.count - 1, Int((Double(values.count) * p).rounded(.up)) - 1)]
        }
        print("large_transaction alert: commit to line printed by `poolkeeper watch --json` (\(fromCommit.count) of \(probes.count) probes printed)")
        print(String(format: "  background load: %d rows in %d s = %.0f rows/s (target %d)", backgroundRows, seconds,
                     Double(backgroundRows) / Double(seconds), rate))
        for (name, values) in [("from COMMIT returned (lower bound)", fromCommit), ("from the post's start (upper bound)", fromStart)] {
            print(String(format: "  %-38@ p50 %6.1f ms   p99 %6.1f ms   max %6.1f ms   (p99 target 50 ms: %@)", name as NSString,
                         percentile(values, 0.5), percentile(values, 0.99), values.last ?? .nan,
                         (percentile(values, 0.99) < 50 ? "met" : "NOT met") as NSString))
        }
    }
}
