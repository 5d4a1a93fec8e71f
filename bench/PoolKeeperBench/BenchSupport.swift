import Logging
import PoolKeeper

/// Runs `body` with a running client of the libpq environment's database,
/// logging errors only, and stops the client afterwards.
func withBenchClient(maximumConnections: Int, _ body: (PoolKeeperClient) async throws -> Void) async throws {
    var logger = Logger(label: "poolkeeper-bench")
    logger.logLevel = .error
    let client = try PoolKeeperClient(settings: .fromEnvironment(), maximumConnections: maximumConnections, logger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await client.run() }
        defer { group.cancelAll() }
        try await body(client)
    }
}

/// `duration` in milliseconds, for printing.
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
