import ArgumentParser
import Foundation
import PoolKeeper
import PoolKeeperTestSupport

/// `poolkeeper-bench detector`: rows per second through one SpikeDetector on one core.
struct DetectorBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detector",
        abstract: "Rows per second through SpikeDetector.observe, on one core, for several shapes of traffic."
    )

    @Option(help: "Rows per scenario.")
    var rows = 5_000_000

    @Option(help: "Timed runs per scenario; the best is reported.")
    var rounds = 3

    func run() throws {
        let builtIn = SpikeRule.builtIn
        let scenarios: [(String, [SpikeDetector.Row], [Int64: SpikeRule])] = [
            ("1 pool, rows in time order, 1,000 a second (S 60 s, B 1 h)",
             (0..<rows).map { .init(pool: 1, transaction: TransactionID(rawValue: Int64($0)), second: 1_795_000_000 + Int64($0 / 1000)) },
             [1: builtIn]),
            ("10,000 pools interleaved, 1 in 5 rows up to 2 s late (S 60 s, B 1 h)",
             Self.interleaved(count: rows, pools: 10_000), [:]),
            ("60 pools with random rules, quiet spells and bursts, 1 in 5 rows up to S late",
             Self.randomActivity(count: rows), Dictionary(uniqueKeysWithValues: (1...60).map { (Int64($0), RandomActivity.rule(seed: UInt64($0))) })),
        ]
        print("SpikeDetector: rows per second on one core (best of \(rounds) runs of \(rows) rows)")
        for (name, input, rules) in scenarios {
            var best = Duration.seconds(1_000_000)
            var spikes = 0
            for _ in 0..<rounds {
                var detector = SpikeDetector()
                for (pool, rule) in rules { detector.setRule(rule, for: PoolID(rawValue: pool)) }
                spikes = 0
                let elapsed = ContinuousClock().measure {
                    for row in input where detector.observe(row) != nil { spikes += 1 }
                }
                best = min(best, elapsed)
            }
            let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
            let perSecond = Double(input.count) / seconds
            print(String(format: "  %-82@ %12.0f rows/s  %6.1f ns/row  %7d spikes  (%.2fx the 1,000,000 rows/s target)",
                         name as NSString, perSecond, seconds * 1e9 / Double(input.count), spikes, perSecond / 1_000_000))
        }
    }

    static func interleaved(count: Int, pools: Int) -> [SpikeDetector.Row] {
        var random = SeededGenerator(seed: 1)
        return (0..<count).map { index in
            let late = Int.random(in: 0..<5, using: &random) == 0 ? Int64.random(in: 0...2, using: &random) : 0
            return .init(pool: PoolID(rawValue: Int64(index % pools)), transaction: TransactionID(rawValue: Int64(index)),
                         second: 1_795_000_000 + Int64(index / 20_000) - late)
        }
    }

    static func randomActivity(count: Int) -> [SpikeDetector.Row] {
        let rules = Dictionary(uniqueKeysWithValues: (1...60).map { (Int64($0), RandomActivity.rule(seed: UInt64($0))) })
        return RandomActivity.rows(count: count, pools: 60, start: 1_795_000_000, seed: 3) { rules[$0]!.shortWindow }.map {
            .init(pool: PoolID(rawValue: $0.pool), transaction: TransactionID(rawValue: $0.id), second: $0.second)
        }
    }
}
