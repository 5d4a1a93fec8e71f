import ArgumentParser
import Foundation
import Logging
import PoolKeeper
import PoolKeeperTestSupport

/// `poolkeeper-bench alert-latency`: how long a large_transaction alert takes
/// from its commit to an in-process consumer of `alertStream` and to its line
/// printed by `poolkeeper watch --json`, idle, under a steady background load
/// of posts, or with the background posting flat out.
struct AlertLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert-latency",
        abstract: "Commit-to-delivery latency of large_transaction alerts, to alertStream and through `poolkeeper watch --json`.",
        discussion: """
            Connects with the libpq environment variables; writes pools, investors and rows into that database. \
            Runs `poolkeeper watch` from the folder of this executable, so build both products into the same folder.
            """
    )

    @Option(help: "Background posts per second (below the threshold: they raise nothing); 0: idle, the probes are the only traffic.")
    var rate = 1000

    @Flag(help: "The background posters post back to back, as fast as they can (saturation); --rate is ignored.")
    var flatOut = false

    @Option(help: "Seconds of load; probes run from its second second to its second-to-last.")
    var seconds = 20

    @Option(help: "Milliseconds between one probe post's return and the next probe post (each above the threshold).")
    var probeInterval = 50

    @Option(help: "Concurrent background posters (none when idle).")
    var posters = 8

    @Option(help: "Seconds to wait after the load for alerts on their way; probes whose alert has not arrived by then count as missing.")
    var drainSeconds = 5

    @Flag(help: "Print exactly one line of JSON on standard output instead of text.")
    var json = false

    private var mode: AlertLatencyReport.Mode { flatOut ? .flatOut : rate == 0 ? .idle : .steady }

    func validate() throws {
        guard rate >= 0 else { throw ValidationError("--rate must be 0 (idle) or more") }
        guard seconds >= 3 else { throw ValidationError("--seconds must be at least 3") }
        guard probeInterval >= 0, drainSeconds >= 0 else { throw ValidationError("--probe-interval and --drain-seconds must not be negative") }
        guard posters >= 1 else { throw ValidationError("--posters must be at least 1") }
    }

    func run() async throws {
        // Standard output carries the report only.
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        try await withBenchClient(maximumConnections: posters + 2) { client in
            let report = try await measure(client)
            print(json ? try report.json() : report.text())
        }
    }

    private func measure(_ client: PoolKeeperClient) async throws -> AlertLatencyReport {
        let manager = try await client.createManager(name: "bench \(UUID())")
        let probePool = try await client.createPool(manager: manager, name: "probe \(UUID())", currency: "USD")
        try await client.setAlertRule(AlertRule(largeTransactionThreshold: 1000), for: probePool)
        let prober = try await client.createInvestor(name: "bench prober \(UUID())")
        try await client.addInvestor(prober, to: probePool)
        let background = try await client.createPool(manager: manager, name: "background \(UUID())", currency: "USD")
        var investors: [InvestorID] = []
        for index in 0..<(mode == .idle ? 0 : posters) {
            let investor = try await client.createInvestor(name: "bench investor \(index) \(UUID())")
            try await client.addInvestor(investor, to: background)
            investors.append(investor)
        }

        let watch = try RunningPoolKeeper(["watch", "--json", "--no-detect", "--log-level", "info"])
        guard try await watch.waitForLine(stderr: true, where: { $0.contains("the alerts feed is connected") }) != nil else {
            throw ValidationError("poolkeeper watch did not start: \(watch.errorLines.map(\.text))")
        }
        let streamed = ArrivalLog()
        let cursor = try await client.feedCursor()
        let report = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await ArrivalLog.consume(client.alertStream(after: cursor), pool: probePool, into: streamed) }
            defer { group.cancelAll() }
            // A first probe that both consumers must see shows that both are reading.
            let first = try await client.post(.contribution, 5000, pool: probePool, investor: prober)
            guard try await waitForDelivery(of: [first], streamed, watch, within: .seconds(30)) else {
                throw ValidationError("the first probe's alert reached neither alertStream nor poolkeeper watch within 30 s")
            }
            let load = try await runLoad(client, background: background, investors: investors, probePool: probePool, prober: prober)
            _ = try await waitForDelivery(of: load.probes.map(\.transaction), streamed, watch, within: .seconds(drainSeconds))
            group.cancelAll()
            try await group.waitForAll()  // the stream ends when its task is cancelled
            let elapsed = Double(load.elapsed.components.seconds) + Double(load.elapsed.components.attoseconds) / 1e18
            return AlertLatencyReport(
                mode: mode, seconds: seconds, posters: investors.count,
                targetRowsPerSecond: mode == .flatOut ? nil : mode == .idle ? 0 : rate,
                probes: load.probes.count, backgroundRows: load.rows,
                backgroundRowsPerSecond: load.rows == 0 ? 0 : Double(load.rows) / elapsed,
                stream: DeliveryLatency(probes: load.probes, arrivals: streamed.snapshot),
                watch: DeliveryLatency(probes: load.probes, arrivals: Self.printed(by: watch)))
        }
        _ = try await watch.stop()
        return report
    }

    /// Runs the background posters for `seconds` and the probes within that
    /// time; returns the probes, the background rows posted and how long the
    /// posters ran.
    private func runLoad(_ client: PoolKeeperClient, background: PoolID, investors: [InvestorID], probePool: PoolID,
                         prober: InvestorID) async throws -> (probes: [Probe], rows: Int, elapsed: Duration) {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .seconds(seconds)
        // Each poster keeps its share of the rate on a fixed schedule; flat out, it posts back to back.
        let interval: Duration? = mode == .flatOut ? nil : .seconds(Double(investors.count) / Double(max(rate, 1)))
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for investor in investors {
                group.addTask {
                    var next = clock.now, count = 0
                    while clock.now < end, next < end {
                        _ = try await client.post(.contribution, 1, pool: background, investor: investor)
                        count += 1
                        guard let interval else { continue }
                        next += interval
                        if next > clock.now { try await Task.sleep(until: next, clock: clock) }
                    }
                    return count
                }
            }
            var probes: [Probe] = []
            try await Task.sleep(for: .seconds(1))  // let the load settle
            while clock.now < end - .seconds(1) {
                let started = clock.now
                let transaction = try await client.post(.contribution, 5000, pool: probePool, investor: prober)
                probes.append(Probe(transaction: transaction, started: started, committed: clock.now))
                try await Task.sleep(for: .milliseconds(probeInterval))
            }
            var rows = 0
            for try await count in group { rows += count }
            return (probes, rows, clock.now - start)
        }
    }

    /// Waits until every one of `transactions` has reached both consumers; false after `timeout`.
    private func waitForDelivery(of transactions: [TransactionID], _ streamed: ArrivalLog, _ watch: RunningPoolKeeper,
                                 within timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let inStream = streamed.snapshot, printed = Self.printed(by: watch)
            if transactions.allSatisfy({ inStream[$0] != nil && printed[$0] != nil }) { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// When `watch` printed the first line about each ledger row.
    private static func printed(by watch: RunningPoolKeeper) -> [TransactionID: ContinuousClock.Instant] {
        struct Printed: Decodable { let transaction_id: Int64? }
        var printedAt: [TransactionID: ContinuousClock.Instant] = [:]
        for line in watch.lines {
            if let id = (try? JSONDecoder().decode(Printed.self, from: Data(line.text.utf8)))?.transaction_id {
                printedAt[TransactionID(rawValue: id)] = printedAt[TransactionID(rawValue: id)] ?? line.at
            }
        }
        return printedAt
    }
}
