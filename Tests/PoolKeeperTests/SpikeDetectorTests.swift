import Foundation
@testable import PoolKeeper
import PoolKeeperTestSupport
import Testing

@Suite("SpikeDetector against the brute-force rule")
struct SpikeDetectorTests {
    /// Replays `rows` through a detector and the brute force with per-pool rules; returns both answers.
    static func replay(_ rows: [RandomActivity.Row], rules: [Int64: SpikeRule])
        -> (detector: [BruteForceSpikes.Raised], bruteForce: [BruteForceSpikes.Raised], detectorState: SpikeDetector) {
        var detector = SpikeDetector()
        for (pool, rule) in rules { detector.setRule(rule, for: PoolID(rawValue: pool)) }
        var bruteForce = BruteForceSpikes()
        var found: [BruteForceSpikes.Raised] = [], expected: [BruteForceSpikes.Raised] = []
        for row in rows {
            if let spike = detector.observe(.init(pool: PoolID(rawValue: row.pool), transaction: TransactionID(rawValue: row.id),
                                                  second: row.second, operation: row.operation.map(OperationID.init(rawValue:)))) {
                found.append(.init(pool: spike.pool.rawValue, transaction: spike.transaction.rawValue, second: spike.second,
                                   nShort: spike.nShort, nBase: spike.nBase))
            }
            if let raised = bruteForce.observe(pool: row.pool, transaction: row.id, second: row.second, rule: rules[row.pool]!,
                                               operation: row.operation) {
                expected.append(raised)
            }
        }
        return (found, expected, detector)
    }

    @Test("120,000 random rows over 60 pools with random rules, up to S out of order: the same alerts as brute force",
          arguments: [UInt64(20261123), 7, 424242])
    func randomRowsMatchBruteForce(seed: UInt64) async throws {
        let pools = 60
        let rules = Dictionary(uniqueKeysWithValues: (1...Int64(pools)).map { ($0, RandomActivity.rule(seed: seed &+ UInt64($0))) })
        let rows = RandomActivity.rows(count: seed == 20261123 ? 120_000 : 30_000, pools: pools, start: 1_795_000_000, seed: seed) {
            rules[$0]!.shortWindow
        }
        let (found, expected, detector) = try await offThePool { Self.replay(rows, rules: rules) }
        #expect(found.count == expected.count, "seed \(seed)")
        #expect(found == expected, "seed \(seed): first difference \(zip(found, expected).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "in the length")")
        // The replay means something: many episodes, in many pools, and rows out of order.
        #expect(expected.count > 500, "seed \(seed): only \(expected.count) spikes")
        #expect(Set(expected.map(\.pool)).count > 40)
        #expect(rows.indices.dropFirst().contains { rows[$0].second < rows[$0 - 1].second && rows[$0].pool == rows[$0 - 1].pool })
        #expect(detector.lateRows == 0)
        for pool in 1...Int64(pools) {
            let rule = rules[pool]!
            #expect(detector.liveBuckets(of: PoolID(rawValue: pool)) <= Int(rule.retention))
        }
    }

    @Test("random rows with distributions (runs of 2 to 300 rows sharing an operation): the same alerts as brute force",
          arguments: [UInt64(11), 2027])
    func randomRowsWithOperationsMatchBruteForce(seed: UInt64) async throws {
        let pools = 40
        let rules = Dictionary(uniqueKeysWithValues: (1...Int64(pools)).map { ($0, RandomActivity.rule(seed: seed &+ UInt64($0))) })
        let rows = RandomActivity.rows(count: 60_000, pools: pools, start: 1_795_000_000, seed: seed, operations: true) {
            rules[$0]!.shortWindow
        }
        let (found, expected, _) = try await offThePool { Self.replay(rows, rules: rules) }
        #expect(found == expected, "seed \(seed): first difference \(zip(found, expected).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "in the length")")
        #expect(expected.count > 200, "seed \(seed): only \(expected.count) spikes")
        #expect(Set(rows.compactMap(\.operation)).count > 100, "seed \(seed): too few distributions")
        // Ignoring operations would raise other alerts: the rule is exercised.
        let unmerged = Self.replay(rows.map { RandomActivity.Row(id: $0.id, pool: $0.pool, second: $0.second) }, rules: rules)
        #expect(unmerged.bruteForce != expected)
    }

    @Test("a distribution to 200 members is one event: no spike where 200 separate rows raise one")
    func distributionIsOneEvent() throws {
        let rule = try SpikeRule(shortWindow: 2, baselineWindow: 30, factor: 5, minCount: 10)
        func replay(operation: OperationID?) -> [Spike] {
            var detector = SpikeDetector()
            detector.setRule(rule, for: 1)
            var spikes: [Spike] = []
            var id: Int64 = 0
            func post(_ second: Int64, _ operation: OperationID? = nil) {
                id += 1
                if let spike = detector.observe(.init(pool: 1, transaction: TransactionID(rawValue: id), second: second,
                                                      operation: operation)) { spikes.append(spike) }
            }
            for second in Int64(1000)..<1040 { post(second) }
            // 200 rows over two seconds, as a distribution's rows may straddle a second.
            for index in 0..<200 { post(1040 + Int64(index / 150), operation) }
            for second in Int64(1042)..<1050 { post(second) }
            // A second distribution right after the first is a second event, not a repeat.
            for _ in 0..<50 { post(1050, operation.map { OperationID(rawValue: $0.rawValue + 1) }) }
            return spikes
        }
        #expect(replay(operation: 7).isEmpty)
        #expect(replay(operation: nil).count >= 1)
    }

    @Test("the issue's example: 1 row a second raises nothing; a burst of 50 raises one alert; a burst after the episode closed raises another")
    func steadyThenBursts() throws {
        var detector = SpikeDetector()
        let pool: PoolID = 1
        detector.setRule(try SpikeRule(shortWindow: 2, baselineWindow: 30, factor: 5, minCount: 10), for: pool)
        var id: Int64 = 0
        func post(at second: Int64) -> Spike? {
            id += 1
            return detector.observe(.init(pool: pool, transaction: TransactionID(rawValue: id), second: second))
        }
        for second in Int64(1000)..<1040 { #expect(post(at: second) == nil) }
        let burst = (0..<50).compactMap { _ in post(at: 1040) }
        #expect(burst.count == 1)
        // With 1039's row, the 9th row of second 1040 makes nShort = M = 10 (10 × 30 ≥ 5 × 30 × 2).
        #expect(burst.first?.transaction == 49 && burst.first?.nShort == 10 && burst.first?.nBase == 30)
        #expect(detector.hasOpenEpisode(pool))
        for second in Int64(1041)..<1046 { #expect(post(at: second) == nil) }
        #expect(!detector.hasOpenEpisode(pool))
        let second = (0..<50).compactMap { _ in post(at: 1046) }
        #expect(second.count == 1)
    }

    @Test("an episode closes S seconds after its last spiking row, even while rows keep spiking")
    func episodeClosesAfterShortWindow() throws {
        var detector = SpikeDetector()
        let pool: PoolID = 3
        // Each row's baseline holds the one before it: 1 × 4 ≥ 1.2 × 1 × 3, so every row spikes.
        detector.setRule(try SpikeRule(shortWindow: 3, baselineWindow: 4, factor: Decimal(string: "1.2")!, minCount: 1), for: pool)
        var bruteForce = BruteForceSpikes()
        var id: Int64 = 0
        var raised: [Int64] = []
        // Rows 4 seconds apart: each is spiking, and each is ≥ S after the last spiking one.
        for second in stride(from: Int64(0), to: 40, by: 4) {
            id += 1
            let spike = detector.observe(.init(pool: pool, transaction: TransactionID(rawValue: id), second: second))
            #expect(spike?.transaction.rawValue == bruteForce.observe(pool: 3, transaction: id, second: second, rule: detector.rule(for: pool))?.transaction)
            if let spike { raised.append(spike.second) }
        }
        #expect(raised == Array(stride(from: Int64(0), to: 40, by: 4)))
    }

    @Test("the factor is compared exactly: equality spikes, one hundredth less does not")
    func exactFactor() throws {
        // nShort = 5, S = 2, B = 3, nBase = 3: 5 × 3 = 15 against F × 3 × 2 = 6F; spiking iff F ≤ 2.5.
        for (factor, spikes) in [(Decimal(string: "2.5")!, true), (Decimal(string: "2.51")!, false),
                                 (Decimal(string: "2.4999999999999999999999")!, true)] {
            let rule = try SpikeRule(shortWindow: 2, baselineWindow: 3, factor: factor, minCount: 1)
            #expect(rule.isSpiking(nShort: 5, nBase: 3) == spikes, "factor \(factor)")
        }
        let rule = try SpikeRule(shortWindow: 2, baselineWindow: 3, factor: 2, minCount: 6)
        #expect(!rule.isSpiking(nShort: 5, nBase: 0), "below the min count")
        #expect(rule.ratio(nShort: 5, nBase: 3) == Decimal(string: "2.5"))
        #expect(rule.ratio(nShort: 1, nBase: 0) == Decimal(string: "1.5"))
    }

    @Test("rules outside the database's ranges are refused with invalidArgument")
    func ruleValidation() {
        let bad: [(Int64, Int64, Decimal, Int64)] = [(0, 10, 2, 1), (86_401, 10, 2, 1), (5, 0, 2, 1), (5, 10, 1, 1),
                                                     (5, 10, 1_000_001, 1), (5, 10, .nan, 1), (5, 10, 2, 0), (5, 10, 2, 1_000_001)]
        for (short, baseline, factor, minCount) in bad {
            #expect(throws: PoolKeeperError.self) {
                try SpikeRule(shortWindow: short, baselineWindow: baseline, factor: factor, minCount: minCount)
            }
        }
        #expect(throws: PoolKeeperError.self) { try SpikeRule(AlertRule(spikeShortWindow: .milliseconds(1500))) }
        #expect((try? SpikeRule(AlertRule())) == .builtIn)
    }

    @Test("memory follows the live seconds, not the rows: 1,000,000 rows keep at most 2S + B buckets")
    func memoryIsBounded() async throws {
        let pool: PoolID = 9
        let rule = try SpikeRule(shortWindow: 5, baselineWindow: 20, factor: 10, minCount: 5)
        let most = try await offThePool {
            var detector = SpikeDetector()
            detector.setRule(rule, for: pool)
            var most = 0
            for id in 0..<1_000_000 {
                let second = Int64(id / 7) - Int64(id % 3)  // 7 rows a second, some up to 2 s late
                _ = detector.observe(.init(pool: pool, transaction: TransactionID(rawValue: Int64(id)), second: second))
                most = max(most, detector.liveBuckets(of: pool))
            }
            return most
        }
        #expect(most <= Int(rule.retention))
        #expect(most >= Int(rule.retention) - 2)
    }

    @Test("a row more than S late counts for later windows but is not evaluated; one beyond 2S + B is dropped")
    func rowsLaterThanShortWindow() throws {
        var detector = SpikeDetector()
        let pool: PoolID = 4
        detector.setRule(try SpikeRule(shortWindow: 2, baselineWindow: 4, factor: Decimal(string: "1.5")!, minCount: 2), for: pool)
        func observe(_ id: Int64, _ second: Int64) -> Spike? {
            detector.observe(.init(pool: pool, transaction: TransactionID(rawValue: id), second: second))
        }
        #expect(observe(1, 100) == nil)          // below the min count
        #expect(observe(2, 97) == nil)           // 3 s late (S = 2): counted, not evaluated
        #expect(detector.lateRows == 1)
        #expect(observe(3, 91) == nil)           // 9 s late: beyond 2S + B = 8, dropped
        #expect(detector.lateRows == 2)
        // Row 4 at 101: nShort = 2 (100 and 101); nBase, over (95, 99], is the late row 2.
        let spike = observe(4, 101)
        #expect(spike?.nShort == 2 && spike?.nBase == 1)
    }

    @Test("a disabled pool counts rows but raises nothing; a resumed episode is not raised again")
    func disabledAndResumed() throws {
        var detector = SpikeDetector()
        let rule = try SpikeRule(shortWindow: 2, baselineWindow: 10, factor: 2, minCount: 3)
        detector.setRule(rule, enabled: false, for: 1)
        for id in 1...20 { #expect(detector.observe(.init(pool: 1, transaction: TransactionID(rawValue: Int64(id)), second: 50)) == nil) }
        detector.setRule(rule, enabled: true, for: 1)
        let spike = detector.observe(.init(pool: 1, transaction: 21, second: 50))
        #expect(spike?.nShort == 21)

        // Every row of pool 2 spikes (M = 1, an empty baseline); the resumed episode holds until 50 + S.
        detector.setRule(try SpikeRule(shortWindow: 2, baselineWindow: 10, factor: 2, minCount: 1), for: 2)
        detector.resumeEpisode(of: 2, lastSpikingSecond: 49)
        for id in 1...5 { #expect(detector.observe(.init(pool: 2, transaction: TransactionID(rawValue: Int64(id)), second: 50)) == nil) }
        #expect(detector.hasOpenEpisode(2))
        #expect(detector.observe(.init(pool: 2, transaction: 6, second: 70)) != nil)  // 70 ≥ 50 + 2, a quiet baseline: a new episode
    }

    @Test("a late row that is not spiking closes an episode; a second episode in the same second gets its own key")
    func secondEpisodeInOneSecond() throws {
        var detector = SpikeDetector()
        let pool: PoolID = 5
        detector.setRule(try SpikeRule(shortWindow: 2, baselineWindow: 10, factor: 2, minCount: 3), for: pool)
        var keys: [String] = []
        func observe(_ id: Int64, _ second: Int64) {
            if let spike = detector.observe(.init(pool: pool, transaction: TransactionID(rawValue: id), second: second)) {
                keys.append(spike.dedupeKey)
            }
        }
        for id: Int64 in 1...3 { observe(id, 100) }   // the third row opens an episode
        observe(4, 90)                         // 10 s late: beyond S, not evaluated
        observe(5, 98)                         // 2 s late, 1 row in (96, 98]: not spiking, closes the episode
        observe(6, 100)                        // spiking again, in the same second: a second episode
        #expect(keys == ["spike:5:100", "spike:5:100:2"])
    }

    @Test("details of a spike: windows as times, the ratio, and a dedupe key per pool and second")
    func spikeDetails() throws {
        let rule = try SpikeRule(shortWindow: 60, baselineWindow: 3600, factor: 10, minCount: 5)
        let spike = Spike(pool: 7, transaction: 99, second: 1_800_000_000, nShort: 50, nBase: 30, rule: rule)
        #expect(spike.dedupeKey == "spike:7:1800000000")
        #expect(spike.shortWindow.start == Date(timeIntervalSince1970: 1_800_000_000 - 59))
        #expect(spike.shortWindow.end == Date(timeIntervalSince1970: 1_800_000_001))
        #expect(spike.baselineWindow.start == Date(timeIntervalSince1970: 1_800_000_000 - 3659))
        #expect(spike.baselineWindow.end == spike.shortWindow.start)
        #expect(spike.ratio == 100)
    }
}
