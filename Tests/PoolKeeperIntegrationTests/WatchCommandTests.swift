import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import PostgresNIO
import Testing

@Suite("poolkeeper watch and backtest")
struct WatchCommandTests {
    @Test("watch --json --no-detect prints each large_transaction alert once as a JSON line, and exits 0 on SIGINT and on SIGTERM",
          arguments: [SIGINT, SIGTERM])
    func relaysAlerts(signal: Int32) async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            try await client.setAlertRule(AlertRule(largeTransactionThreshold: 1000), for: pool)
            let watch = try RunningPoolKeeper(["watch", "--json", "--no-detect", "--log-level", "info", "--pool", "\(pool)"])
            #expect(try await watch.waitForLine(stderr: true) { $0.contains("the alerts feed is connected") } != nil)
            var posted: [TransactionID] = []
            for amount: Decimal in [5000, 10, 7000] {
                posted.append(try await client.post(.contribution, amount, pool: pool, investor: investors[0]))
            }
            #expect(try await watch.waitForLine { WatchedAlert($0)?.transaction_id == posted[2].rawValue } != nil)
            let printed = watch.lines.compactMap { WatchedAlert($0.text) }
            #expect(printed.allSatisfy { $0.pool_id == pool.rawValue }, "--pool prints only that pool's alerts")
            #expect(printed.map(\.transaction_id) == [posted[0].rawValue, posted[2].rawValue])
            #expect(printed.allSatisfy { $0.kind == "large_transaction" })
            #expect(try await watch.stop(signal: signal) == 0)
        }
    }

    @Test("two watch processes, a rule of S = 2 s and B = 30 s: 1 row a second raises nothing; each burst of 50 raises one spike, printed by both within 1 s, recorded once",
          .timeLimit(.minutes(2)), .enabled(if: soloTests, "it measures a 1 s deadline: scripts/test runs it alone"))
    func spikesFromTwoWatchers() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            // F and M are not given by the issue: F = 5 so that a second burst stands out over a baseline holding the first.
            try await client.setAlertRule(AlertRule(spikeShortWindow: .seconds(2), spikeBaselineWindow: .seconds(30),
                                                    spikeFactor: 5, spikeMinCount: 10), for: pool)
            // --pool: monitors of every pool would raise spikes in the pools of the tests running alongside.
            let feedStart = try await client.feedCursor()
            let watchers = try (0..<2).map { _ in
                try RunningPoolKeeper(["watch", "--json", "--log-level", "info", "--pool", "\(pool)"])
            }
            for watcher in watchers {
                #expect(try await watcher.waitForLine(stderr: true) { $0.contains("spike monitor started") } != nil)
                #expect(try await watcher.waitForLine(stderr: true) { $0.contains("the alerts feed is connected") } != nil)
            }
            func post() async throws { _ = try await client.post(.contribution, 1, pool: pool, investor: investors[0]) }
            func steady(seconds: Int) async throws {
                for _ in 0..<seconds {
                    try await post()
                    try await Task.sleep(for: .seconds(1))
                }
            }
            func spikes(_ watcher: RunningPoolKeeper) -> [(alert: WatchedAlert, at: ContinuousClock.Instant)] {
                watcher.lines.compactMap { line in WatchedAlert(line.text).map { ($0, line.at) } }
                    .filter { $0.alert.pool_id == pool.rawValue && $0.alert.kind == "spike" }
            }
            func burst(number: Int) async throws {
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in  // 5 posters: 50 rows well within a second
                    for _ in 0..<5 { group.addTask { for _ in 0..<10 { try await post() } } }
                    try await group.waitForAll()
                }
                #expect(ContinuousClock.now - start < .seconds(1), "the burst itself took under a second")
                for watcher in watchers {
                    let line = try await watcher.waitForLine(timeout: .seconds(5)) { line in
                        WatchedAlert(line).map { $0.pool_id == pool.rawValue && $0.kind == "spike" } ?? false
                            && spikes(watcher).count >= number
                    }
                    #expect(line != nil, "burst \(number) was printed")
                    if let printed = spikes(watcher).dropFirst(number - 1).first {
                        #expect(printed.at - start < .seconds(1), "burst \(number) printed \(printed.at - start) after it began")
                    }
                }
            }

            try await steady(seconds: 12)
            #expect(watchers.allSatisfy { spikes($0).isEmpty }, "steady activity raised nothing")
            try await burst(number: 1)
            try await steady(seconds: 5)   // rows below the min count close the episode
            try await burst(number: 2)
            try await Task.sleep(for: .milliseconds(500))

            let recorded = try await client.alerts(after: feedStart, limit: 10_000).alerts.filter { $0.poolID == pool && $0.kind == .spike }
            #expect(recorded.count == 2, "one alert row per episode")
            for watcher in watchers {
                #expect(spikes(watcher).map(\.alert.alert_id) == recorded.map(\.id.rawValue), "each watcher printed each spike once")
                #expect(try await watcher.stop() == 0)
            }
            if case .spike(let details) = recorded.first?.details {
                #expect(details.rule.shortWindowSeconds == 2 && details.rule.baselineWindowSeconds == 30)
                #expect(details.nShort >= 10)
            } else {
                Issue.record("the spike alert's details are not SpikeAlertDetails: \(String(describing: recorded.first?.detailsJSON))")
            }
        }
    }

    @Test("backtest --csv gives the alerts of the brute-force rule on 50,000 random rows, recorded_at in several ISO 8601 forms")
    func backtestCSVMatchesBruteForce() async throws {
        let rule = try SpikeRule(shortWindow: 4, baselineWindow: 30, factor: Decimal(string: "3.5")!, minCount: 4)
        let (result, expected) = try await offThePool { () throws -> ((status: Int32, output: String, error: String), [BruteForceSpikes.Raised]) in
            let rows = RandomActivity.rows(count: 50_000, pools: 40, start: 1_795_000_000, seed: 5) { _ in rule.shortWindow }
            var random = SeededGenerator(seed: 11)
            var csv = "id,pool_id,recorded_at\n"
            for row in rows { csv += "\(row.id),\(row.pool),\(Self.iso8601(row.second, using: &random))\n" }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("backtest-\(UUID()).csv")
            try csv.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try runPoolKeeper(["backtest", "--csv", file.path, "--short-window", "4", "--baseline-window", "30",
                                            "--factor", "3.5", "--min-count", "4"])
            var bruteForce = BruteForceSpikes()
            return (result, rows.compactMap { bruteForce.observe(pool: $0.pool, transaction: $0.id, second: $0.second, rule: rule) })
        }
        #expect(result.status == 0, "\(result.error)")
        struct Printed: Decodable { let pool_id, transaction_id, second, n_short, n_base: Int64 }
        let printed = try result.output.split(separator: "\n").map { line in
            let alert = try JSONDecoder().decode(Printed.self, from: Data(line.utf8))
            return BruteForceSpikes.Raised(pool: alert.pool_id, transaction: alert.transaction_id, second: alert.second,
                                           nShort: alert.n_short, nBase: alert.n_base)
        }
        #expect(expected.count > 200)
        #expect(printed == expected)
    }

    @Test("backtest refuses a bad rule, a malformed file and a mixed input, naming the problem")
    func backtestRefusals() throws {
        #expect(try runPoolKeeper(["backtest", "--csv", "/dev/null", "--factor", "1"]).status == 64)
        #expect(try runPoolKeeper(["backtest", "--csv", "/dev/null", "--factor", "1.5.5"]).status == 64)
        #expect(try runPoolKeeper(["backtest", "--from", "2026-02-31T00:00:00Z"]).status == 64)
        #expect(try runPoolKeeper(["backtest", "--csv", "/dev/null", "--short-window", "0"]).status == 64)
        #expect(try runPoolKeeper(["backtest", "--csv", "/dev/null", "--from", "2026-01-01T00:00:00Z"]).status == 64)
        #expect(try runPoolKeeper(["backtest"]).status == 64)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).csv")
        try "id,pool_id,recorded_at\n1,2,2026-11-23T14:00:00Z\n2,2,yesterday\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runPoolKeeper(["backtest", "--csv", file.path])
        #expect(result.status == 1)
        #expect(result.error.contains(":3:"), "\(result.error)")
        #expect(result.output.isEmpty)
    }

    @Test("backtest --from replays the database's ledger like the detector; --pool narrows it")
    func backtestLedger() async throws {
        try await TestDatabase.withClient { client in
            let (pool, investors) = try await makePool(client, members: 1)
            var ids: [TransactionID] = []
            for _ in 0..<6 { ids.append(try await client.post(.contribution, 1, pool: pool, investor: investors[0])) }
            let result = try runPoolKeeper(["backtest", "--from", "2000-01-01T00:00:00Z", "--pool", "\(pool)",
                                            "--short-window", "60", "--baseline-window", "60", "--factor", "2", "--min-count", "3"])
            #expect(result.status == 0, "\(result.error)")
            let lines = result.output.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.contains("\"pool_id\":\(pool),\"transaction_id\":\(ids[2])") == true, "\(result.output)")
        }
    }

    /// `second` (plus a random fraction) in a random ISO 8601 form: UTC with
    /// Z, an offset with or without a colon, or PostgreSQL's text form.
    static func iso8601(_ second: Int64, using random: inout SeededGenerator) -> String {
        let offsetMinutes = [0, 60, -300, 330, -570, 840][Int.random(in: 0..<6, using: &random)]
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: 0)
        let local = Date(timeIntervalSince1970: TimeInterval(second + Int64(offsetMinutes) * 60))
        let fraction = ["", ".5", ".999999", ".000001", ".25"][Int.random(in: 0..<5, using: &random)]
        let sign = offsetMinutes < 0 ? "-" : "+"
        let (hours, minutes) = (abs(offsetMinutes) / 60, abs(offsetMinutes) % 60)
        switch Int.random(in: 0..<4, using: &random) {
        case 0 where offsetMinutes == 0:
            formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
            return formatter.string(from: local) + fraction + "Z"
        case 1:
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            return formatter.string(from: local) + fraction + sign + String(format: "%02d%02d", hours, minutes)
        default:
            formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
            return formatter.string(from: local) + fraction + sign + String(format: "%02d:%02d", hours, minutes)
        }
    }
}

/// One line of `poolkeeper watch --json`.
struct WatchedAlert: Decodable, Equatable {
    let alert_id: Int64
    let kind: String
    let pool_id: Int64
    let transaction_id: Int64?
    let raised_at: String

    init?(_ line: String) {
        guard let alert = try? JSONDecoder().decode(WatchedAlert.self, from: Data(line.utf8)) else { return nil }
        self = alert
    }
}
