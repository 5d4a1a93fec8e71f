import PoolKeeper

/// One `SpikeDetector` under the built-in rule, fed an endless stream of
/// ledger rows that it generates as it goes (no input array, so the memory
/// the process holds is the detector's state): the pools take turns, the
/// ledger second advances once every ``rowsPerLedgerSecond`` rows, and 1 row
/// in 5 is 0 to 2 seconds late, as in `poolkeeper-bench detector`.
///
/// A class, so that the benchmark's iterations continue one stream; the
/// benchmark tool runs each benchmark in a process of its own.
final class DetectorRun: @unchecked Sendable {
    /// Ledger rows per second of ledger time, over all pools.
    static let rowsPerLedgerSecond: Int64 = 20_000
    static let firstSecond: Int64 = 1_795_000_000

    let pools: Int64
    private var detector = SpikeDetector()
    /// Rows fed so far; the next row's index.
    private(set) var rows: Int64 = 0
    private(set) var spikes = 0

    init(pools: Int) {
        self.pools = Int64(pools)
    }

    /// How far back the built-in rule keeps a pool's rows (2S + B): after
    /// this much ledger time a detector's memory stops growing.
    static var retentionSeconds: Int64 {
        2 * SpikeRule.builtIn.shortWindow + SpikeRule.builtIn.baselineWindow
    }

    /// Row `index` of the stream of `pools` pools.
    @inline(__always)
    static func row(_ index: Int64, pools: Int64) -> SpikeDetector.Row {
        let random = mix(UInt64(bitPattern: index))
        let late = random % 5 == 0 ? Int64((random >> 32) % 3) : 0
        return SpikeDetector.Row(pool: PoolID(rawValue: index % pools), transaction: TransactionID(rawValue: index),
                                 second: firstSecond + index / rowsPerLedgerSecond - late)
    }

    /// Feeds the next `count` rows of the stream to the detector.
    func observe(_ count: Int) {
        // Work on a local detector (moved out, not copied): no exclusivity check per row.
        var local = SpikeDetector()
        swap(&local, &detector)
        defer { swap(&local, &detector) }
        var index = rows, found = 0
        let end = rows + Int64(count)
        while index < end {
            if local.observe(Self.row(index, pools: pools)) != nil { found += 1 }
            index += 1
        }
        rows = end
        spikes += found
    }

    /// SplitMix64's finalizer: a seeded, repeatable "random" number per row.
    @inline(__always)
    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
