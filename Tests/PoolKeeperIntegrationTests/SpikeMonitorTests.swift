import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import Testing

@Suite("SpikeMonitor")
struct SpikeMonitorTests {
    @Test("a monitor started during an episode rebuilds it from history: the alerts are brute force's, none twice",
          .timeLimit(.minutes(2)))
    func secondMonitorMidEpisode() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let rule = AlertRule(spikeShortWindow: .seconds(2), spikeBaselineWindow: .seconds(10), spikeFactor: 3, spikeMinCount: 6)
            try await client.setAlertRule(rule, for: pool)
            let options = SpikeMonitor.Options(pools: [pool])
            func monitor() -> Task<Void, any Error> {
                Task { try await SpikeMonitor(client: client, options: options).run() }
            }
            let first = monitor()
            try await Task.sleep(for: .seconds(1))
            func post(count: Int, every interval: Duration) async throws {
                for _ in 0..<count {
                    _ = try await client.post(.contribution, 1, pool: pool, investor: investors[0])
                    try await Task.sleep(for: interval)
                }
            }
            try await post(count: 6, every: .seconds(1))                 // a quiet baseline
            try await post(count: 60, every: .milliseconds(40))          // an episode opens and goes on
            let second = monitor()                                        // a monitor starts in the middle of it
            try await post(count: 60, every: .milliseconds(40))
            try await post(count: 4, every: .seconds(1))
            try await Task.sleep(for: .seconds(2))
            first.cancel()
            second.cancel()
            _ = try? await (first.value, second.value)

            // What the rule raises on these rows in id order (one poster: commit order is id order).
            var rows: [LedgerTransaction] = []
            var page = try await client.transactions(in: pool, limit: 1000)
            rows += page.transactions
            while let next = page.next {
                page = try await client.transactions(in: pool, after: next, limit: 1000)
                rows += page.transactions
            }
            var bruteForce = BruteForceSpikes()
            let spikeRule = try SpikeRule(rule)
            let expected = rows.compactMap {
                bruteForce.observe(pool: pool.rawValue, transaction: $0.id.rawValue,
                                   second: Int64($0.recordedAt.timeIntervalSince1970.rounded(.down)), rule: spikeRule)
            }
            let raised = try await client.alerts(after: nil, limit: 10_000).alerts.filter { $0.poolID == pool && $0.kind == .spike }
            #expect(!expected.isEmpty)
            #expect(raised.compactMap(\.transactionID?.rawValue) == expected.map(\.transaction), "each episode once, on its opening row")
        }
    }
}
