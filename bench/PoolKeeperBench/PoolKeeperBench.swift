import ArgumentParser

/// `poolkeeper-bench`: benchmarks of the spike detector and of alert delivery.
@main
struct PoolKeeperBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poolkeeper-bench",
        abstract: "Benchmarks that print numbers: build with -c release (bench/spikes does).",
        subcommands: [DetectorBenchmark.self, AlertLatencyBenchmark.self, SpikeLatencyBenchmark.self]
    )
}
