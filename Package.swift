// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "poolkeeper",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PoolKeeper", targets: ["PoolKeeper"]),
        .executable(name: "poolkeeper", targets: ["PoolKeeperCLI"]),
        .executable(name: "poolkeeper-bench", targets: ["PoolKeeperBench"]),
        .executable(name: "poolkeeper-stress", targets: ["PoolKeeperStress"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "PoolKeeper",
            dependencies: [
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "PoolKeeperCLI",
            dependencies: [
                "PoolKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The README's Swift example, compiled and run by scripts/test so that it cannot go stale.
        .executableTarget(
            name: "QuickStartExample",
            dependencies: ["PoolKeeper"],
            path: "Examples/QuickStart"
        ),
        // Benchmarks that print numbers: bench/spikes builds them in release mode and runs them.
        .executableTarget(
            name: "PoolKeeperBench",
            dependencies: [
                "PoolKeeper",
                "PoolKeeperTestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/PoolKeeperBench"
        ),
        // The stress harness with fault injection: scripts/stress builds and runs it.
        .executableTarget(
            name: "PoolKeeperStress",
            dependencies: [
                "PoolKeeper",
                "PoolKeeperTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/PoolKeeperStress"
        ),
        // What both test targets share: a seeded random generator and the brute-force spike rule.
        .target(
            name: "PoolKeeperTestSupport",
            dependencies: ["PoolKeeper"],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "PoolKeeperTests",
            dependencies: [
                "PoolKeeper",
                "PoolKeeperTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
            ]
        ),
        .testTarget(
            name: "PoolKeeperIntegrationTests",
            dependencies: [
                "PoolKeeper",
                "PoolKeeperTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ]
)
