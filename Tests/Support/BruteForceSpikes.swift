import Foundation
import PoolKeeper

/// The spike rule of docs/alerts.md computed the slow, obvious way: every
/// row's windows are counted by scanning all rows of its pool that arrived
/// so far. Tests compare ``SpikeDetector`` (and `poolkeeper backtest`) with it.
public struct BruteForceSpikes {
    /// What the rule raises for one row.
    public struct Raised: Hashable, Sendable, CustomStringConvertible {
        public var pool: Int64
        public var transaction: Int64
        public var second: Int64
        public var nShort: Int64
        public var nBase: Int64

        public init(pool: Int64, transaction: Int64, second: Int64, nShort: Int64, nBase: Int64) {
            (self.pool, self.transaction, self.second, self.nShort, self.nBase) = (pool, transaction, second, nShort, nBase)
        }

        public var description: String { "pool \(pool) row \(transaction) at \(second): \(nShort) short, \(nBase) baseline" }
    }

    private var arrived: [Int64: [Int64]] = [:]
    private var lastSpiking: [Int64: Int64] = [:]
    private var lastOperation: [Int64: Int64] = [:]

    public init() {}

    /// Whether `pool` has an open episode after the rows observed so far.
    public func hasOpenEpisode(_ pool: Int64) -> Bool { lastSpiking[pool] != nil }

    /// Adds the row and returns the alert it raises, if any.
    /// A row of the same `operation` as the pool's previous row is the same
    /// event: not counted, not evaluated.
    public mutating func observe(pool: Int64, transaction: Int64, second τ: Int64, rule: SpikeRule,
                                 operation: Int64? = nil) -> Raised? {
        let previous = lastOperation[pool]
        lastOperation[pool] = operation
        if let operation, operation == previous { return nil }
        arrived[pool, default: []].append(τ)
        let (S, B) = (rule.shortWindow, rule.baselineWindow)
        var nShort: Int64 = 0, nBase: Int64 = 0
        for time in arrived[pool]! {
            if τ - S < time && time <= τ { nShort += 1 }
            if τ - S - B < time && time <= τ - S { nBase += 1 }
        }
        // Written from the definition, in decimals: no shortcut shared with the detector.
        let spiking = nShort >= rule.minCount
            && Decimal(nShort) * Decimal(B) >= rule.factor * Decimal(max(nBase, 1)) * Decimal(S)
        if let last = lastSpiking[pool], !spiking || τ >= last + S { lastSpiking[pool] = nil }
        var raised: Raised?
        if spiking {
            if lastSpiking[pool] == nil { raised = Raised(pool: pool, transaction: transaction, second: τ, nShort: nShort, nBase: nBase) }
            lastSpiking[pool] = τ
        }
        return raised
    }
}

/// Random ledger rows for spike tests: pools that go quiet, tick steadily and
/// burst, with rows arriving up to S seconds out of time order.
public struct RandomActivity {
    public struct Row: Hashable, Sendable {
        public var id: Int64
        public var pool: Int64
        public var second: Int64
        /// The distribution the row belongs to, if any.
        public var operation: Int64?

        public init(id: Int64, pool: Int64, second: Int64, operation: Int64? = nil) {
            (self.id, self.pool, self.second, self.operation) = (id, pool, second, operation)
        }
    }

    /// `count` rows over `pools` pools, starting at `start`; a row is at most
    /// `maximumLateness(pool)` seconds behind its pool's newest row. With
    /// `operations`, about one row in 150 starts a distribution: a run of 2
    /// to 300 rows of its pool, one after another, over a second or two.
    public static func rows(count: Int, pools: Int, start: Int64, seed: UInt64, operations: Bool = false,
                            maximumLateness: (Int64) -> Int64) -> [Row] {
        var random = SeededGenerator(seed: seed)
        var newest = [Int64](repeating: start, count: pools + 1)
        var bursting = [Bool](repeating: false, count: pools + 1)
        var rows: [Row] = []
        rows.reserveCapacity(count)
        while rows.count < count {
            // A few busy pools and a long tail.
            let pool = Int64.random(in: 1...Int64(pools), using: &random) % (Bool.random(using: &random) ? 5 : Int64(pools)) + 1
            let p = Int(pool)
            if Int.random(in: 0..<40, using: &random) == 0 { bursting[p].toggle() }
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<2: newest[p] += Int64.random(in: 10...200, using: &random)     // a quiet spell
            case 2..<40 where !bursting[p]: newest[p] += Int64.random(in: 1...3, using: &random)
            case 40..<50: newest[p] += 1
            default: break                                                          // same second
            }
            var second = newest[p]
            if Int.random(in: 0..<5, using: &random) == 0 {                          // out of order
                second -= Int64.random(in: 0...maximumLateness(pool), using: &random)
            }
            if operations, Int.random(in: 0..<150, using: &random) == 0 {
                let operation = Int64(rows.count + 1)
                for _ in 0..<Int.random(in: 2...300, using: &random) where rows.count < count {
                    if Int.random(in: 0..<100, using: &random) == 0 { newest[p] += 1 }
                    rows.append(Row(id: Int64(rows.count + 1), pool: pool, second: newest[p], operation: operation))
                }
                continue
            }
            rows.append(Row(id: Int64(rows.count + 1), pool: pool, second: second))
        }
        return rows
    }

    /// A random rule: windows of a few seconds, so that windows fill and empty often.
    public static func rule(seed: UInt64) -> SpikeRule {
        var random = SeededGenerator(seed: seed)
        let hundredths = Int64.random(in: 101...1500, using: &random)
        return try! SpikeRule(shortWindow: .random(in: 1...8, using: &random), baselineWindow: .random(in: 1...40, using: &random),
                              factor: Decimal(hundredths) / 100, minCount: .random(in: 1...8, using: &random))
    }
}
