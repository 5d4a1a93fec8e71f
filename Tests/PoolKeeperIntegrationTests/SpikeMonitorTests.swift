import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import Testing

@Suite("SpikeMonitor")
struct SpikeMonitorTests {
    @Test("a monitor started during an episode rebuilds it from history: the alerts are brute force's, none twice",
          .timeLimit(.minutes(2)), .enabled(if: soloTests, "it needs an episode still open seconds later: scripts/test runs it alone"))
    func secondMonitorMidEpisode() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            let rule = AlertRule(spikeShortWindow: .seconds(2), spikeBaselineWindow: .seconds(10), spikeFactor: 2, spikeMinCount: 6)
            try await client.setAlertRule(rule, for: pool)
            let options = SpikeMonitor.Options(pools: [pool])
            let start = try await client.feedCursor()
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
            // About 25 rows a second for 8 s: an episode opens and, as the baseline fills slowly, stays open for ~6 s.
            let fast = Task { try await post(count: 200, every: .milliseconds(40)) }
            func spikes() async throws -> [Alert] {
                try await client.alerts(after: start, limit: 10_000).alerts.filter { $0.poolID == pool && $0.kind == .spike }
            }
            for _ in 0..<200 where try await spikes().isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            try #require(try await !spikes().isEmpty, "the first monitor raised the episode")
            // More than S after the episode opened, so that its opening row is in the second monitor's warm-up.
            try await Task.sleep(for: .milliseconds(2500))
            let secondStarted = Date()
            let second = monitor()
            try await fast.value
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
            var openWhenSecondStarted = false
            let expected = rows.compactMap { row -> BruteForceSpikes.Raised? in
                let raised = bruteForce.observe(pool: pool.rawValue, transaction: row.id.rawValue,
                                                second: Int64(row.recordedAt.timeIntervalSince1970.rounded(.down)), rule: spikeRule)
                if row.recordedAt > secondStarted.addingTimeInterval(0.5), bruteForce.hasOpenEpisode(pool.rawValue) {
                    openWhenSecondStarted = true
                }
                return raised
            }
            let raised = try await spikes()
            #expect(!expected.isEmpty)
            #expect(openWhenSecondStarted, "the episode was still open after the second monitor started: it had to rebuild it")
            #expect(raised.compactMap(\.transactionID?.rawValue) == expected.map(\.transaction), "each episode once, on its opening row")
        }
    }
}
