// swift-tools-version:6.1
import PackageDescription

// Microbenchmarks of the PoolKeeper library with ordo-one/benchmark, in a
// package of their own so that the root package (and CI's build of it)
// does not depend on the benchmark package. Run from this folder:
//   swift package benchmark --format markdown --no-progress
let package = Package(
    name: "PoolKeeperMicrobenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "poolkeeper", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // SpikeDetector.observe for 10, 10,000 and 1,000,000 pools (the plugin finds targets under Benchmarks/).
        .executableTarget(
            name: "SpikeDetector",
            dependencies: [
                .product(name: "PoolKeeper", package: "poolkeeper"),
                .product(name: "Benchmark", package: "benchmark"),
                "CMallocInfo",
            ],
            path: "Benchmarks/SpikeDetector",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // glibc's mallinfo2, which Swift's Glibc module does not export.
        .target(name: "CMallocInfo"),
    ]
)
