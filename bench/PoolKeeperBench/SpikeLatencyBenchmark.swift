import ArgumentParser
import Foundation
import PoolKeeper
import PoolKeeperTestSupport

/// `poolkeeper-bench spike-latency`: how long a spike takes from the commit
/// of the row that opens its episode to the alert printed by
/// `poolkeeper watch --json`, which detects it and raises it.
struct SpikeLatencyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spike-latency",
        abstract: "Commit-to-printed latency of spike alerts raised by `poolkeeper watch` (S 2 s, B 10 s, F 5, M 10).",
        discussion: "Connects with the libpq environment variables; writes a pool, investors and rows into that database."
    )

    @Option(help: "Bursts of 50 rows, each after the last episode has closed.")
    var bursts = 5

    func run() async throws {
        try await withBenchClient(maximumConnections: 8) { try await measure($0) }
    }

    private func measure(_ client: PoolKeeperClient) async throws {
        let manager = try await client.createManager(name: "bench \(UUID())")
        let pool = try await client.createPool(manager: manager, name: "spikes \(UUID())", currency: "USD")
        try await client.setAlertRule(AlertRule(spikeShortWindow: .seconds(2), spikeBaselineWindow: .seconds(10),
                                                spikeFactor: 5, spikeMinCount: 10), for: pool)
        let investor = try await client.createInvestor(name: "bench investor \(UUID())")
        try await client.addInvestor(investor, to: pool)
        let watch = try RunningPoolKeeper(["watch", "--json", "--log-level", "info", "--pool", "\(pool)"])
        guard try await watch.waitForLine(stderr: true, where: { $0.contains("spike monitor started") }) != nil else {
            throw ValidationError("poolkeeper watch did not start: \(watch.errorLines.map(\.text))")
        }
        let clock = ContinuousClock()
        let committed = Committed()
        func post() async throws {
            let id = try await client.post(.contribution, 1, pool: pool, investor: investor)
            committed.record(id.rawValue, at: clock.now)
        }
        func steady(_ seconds: Int) async throws {
            for _ in 0..<seconds {
                try await post()
                try await Task.sleep(for: .seconds(1))
            }
        }
        var burstStarts: [ContinuousClock.Instant] = []
        try await steady(8)
        for _ in 0..<bursts {
            burstStarts.append(clock.now)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { for _ in 0..<10 { try await post() } } }
                try await group.waitForAll()
            }
            try await steady(13)  // rows below the min count close the episode; the burst leaves the baseline
        }
        try await Task.sleep(for: .seconds(1))
        _ = try await watch.stop()

        struct Printed: Decodable { let kind: String; let transaction_id: Int64? }
        let spikes = watch.lines.compactMap { line -> (Int64, ContinuousClock.Instant)? in
            guard let printed = try? JSONDecoder().decode(Printed.self, from: Data(line.text.utf8)), printed.kind == "spike",
                  let id = printed.transaction_id else { return nil }
            return (id, line.at)
        }
        let fromOpeningRow = spikes.compactMap { id, at in committed.instant(of: id).map { milliseconds(at - $0) } }
        let fromBurst = spikes.compactMap { _, at in burstStarts.last { $0 <= at }.map { milliseconds(at - $0) } }
        print("spike alert raised by `poolkeeper watch` and printed by it (\(spikes.count) spikes for \(bursts) bursts of 50 rows)")
        for (name, values) in [("from the opening row's COMMIT returned", fromOpeningRow), ("from the burst's start", fromBurst)] {
            let sorted = values.sorted()
            print(String(format: "  %-40@ median %6.1f ms   max %6.1f ms", name as NSString,
                         sorted.isEmpty ? .nan : sorted[sorted.count / 2], sorted.last ?? .nan))
        }
    }
}

/// When each posted row's commit returned.
private final class Committed: @unchecked Sendable {
    private let lock = NSLock()
    private var instants: [Int64: ContinuousClock.Instant] = [:]

    func record(_ id: Int64, at instant: ContinuousClock.Instant) { lock.withLock { instants[id] = instant } }
    func instant(of id: Int64) -> ContinuousClock.Instant? { lock.withLock { instants[id] } }
}
