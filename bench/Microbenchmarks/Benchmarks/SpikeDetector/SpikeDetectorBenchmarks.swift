import Benchmark
import Foundation
import PoolKeeper

// SpikeDetector.observe with the rows of 10, 10,000 and 1,000,000 pools
// (built-in rule: S 60 s, B 3,600 s), one detector per benchmark process.
//
// Setup warms the detector up with the stream's first rows, by default
// 2.5 retentions of ledger time (retention 2S + B = 3,720 s; 9,300 s is
// 186 million rows at 20,000 rows a second): every pool then has state and
// the detector is in its steady state. One retention is not enough: a
// pool's bucket array grows to about twice its live buckets before its
// first compaction (at about two retentions) and never shrinks, so after one
// retention the memory is about half of what a long-running monitor holds.
// POOLKEEPER_BENCH_WARMUP_SECONDS sets another length (never fewer rows than
// pools), for a quick run. Each measured iteration then feeds the next
// 1,000,000 rows (`.mega`), so with 1,000,000 pools every pool gets a row in
// every iteration.
//
// Metrics: the tool's throughput (iterations a second rounded to a whole
// number, here whole millions of rows a second; JMH export needs it), wall
// clock per row, rows per second of our own (exact), the process's peak
// resident memory (sampled by the tool; it includes the warm-up state and
// the tool's own), malloc calls per row, and three of our own taken in setup
// around making and warming the detector: the resident memory that added
// (/proc/self/statm), that per pool, and the bytes malloc handed out for it
// and did not get back (mallinfo2; with the tool's malloc interposer this
// includes a small header per allocation). The tool's
// peakMemoryResidentDelta would not do: its baseline is taken after setup;
// nor would resident memory read in each iteration: the tool allocates
// several MB of its own after setup, which swamps a small detector.
let benchmarks: @Sendable () -> Void = {
    for pools in [10, 10_000, 1_000_000] {
        Benchmark(
            "observe \(pools) pools",
            configuration: .init(
                metrics: [.throughput, .wallClock, DetectorMetric.rowsPerSecond, .peakMemoryResident, .mallocCountTotal,
                          DetectorMetric.resident, DetectorMetric.residentPerPool, DetectorMetric.heapInUse],
                timeUnits: .nanoseconds,
                warmupIterations: 1,
                scalingFactor: .mega,
                maxDuration: .seconds(5),
                maxIterations: 100
            )
        ) { (benchmark: Benchmark, state: WarmedDetector) in
            let started = ContinuousClock.now
            state.run.observe(benchmark.scaledIterations.count)
            let elapsed = ContinuousClock.now - started
            benchmark.stopMeasurement()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            benchmark.measurement(DetectorMetric.rowsPerSecond, Int(Double(benchmark.scaledIterations.count) / seconds))
            benchmark.measurement(DetectorMetric.resident, state.resident)
            benchmark.measurement(DetectorMetric.residentPerPool, state.resident / pools)
            benchmark.measurement(DetectorMetric.heapInUse, state.heapInUse)
        } setup: {
            let before = MemoryUse.now()
            let run = DetectorRun(pools: pools)
            run.observe(warmupRows(pools: pools))
            let after = MemoryUse.now()
            return WarmedDetector(run: run, resident: after.resident - before.resident, heapInUse: after.heapInUse - before.heapInUse)
        }
    }
}

/// A detector after its warm-up, and the memory making and warming it took.
struct WarmedDetector: @unchecked Sendable {
    let run: DetectorRun
    /// Resident bytes added.
    let resident: Int
    /// Bytes malloc handed out and did not get back.
    let heapInUse: Int
}

/// The custom metrics: not scaled by the iterations' 1,000,000 rows.
enum DetectorMetric {
    static let rowsPerSecond = BenchmarkMetric.custom("Rows per second", polarity: .prefersLarger, useScalingFactor: false)
    static let resident = BenchmarkMetric.custom("Detector resident (bytes)", useScalingFactor: false)
    static let residentPerPool = BenchmarkMetric.custom("Detector resident per pool (bytes)", useScalingFactor: false)
    static let heapInUse = BenchmarkMetric.custom("Detector heap in use (bytes)", useScalingFactor: false)
}

/// The rows fed before measuring: POOLKEEPER_BENCH_WARMUP_SECONDS of ledger
/// time (default: 2.5 retentions), and at least one row per pool.
func warmupRows(pools: Int) -> Int {
    let seconds = ProcessInfo.processInfo.environment["POOLKEEPER_BENCH_WARMUP_SECONDS"].flatMap { Int64($0) }
        ?? DetectorRun.retentionSeconds * 5 / 2
    return max(pools, Int(seconds * DetectorRun.rowsPerLedgerSecond))
}
