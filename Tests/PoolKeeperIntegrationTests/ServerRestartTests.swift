import Foundation
import PoolKeeper
import PoolKeeperTestSupport
import Testing

/// Whether the tests that must run alone run: POOLKEEPER_SOLO_TESTS=1, which
/// scripts/test sets for its second, filtered run (after the rest).
let soloTests = ProcessInfo.processInfo.environment["POOLKEEPER_SOLO_TESTS"] == "1"

/// Tests that restart the database server. They would break every other test
/// running at the time, so they run only with the solo tests.
@Suite("Streams across a server restart", .enabled(if: soloTests, "it restarts the server: scripts/test runs it alone"))
struct ServerRestartTests {
    /// scripts/db of this checkout.
    static let databaseScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/db")

    /// Runs `scripts/db restart`, waiting without blocking a thread of the
    /// concurrency pool (the streams under test need those).
    static func restartServer() async throws {
        let process = Process()
        process.executableURL = databaseScript
        process.arguments = ["restart"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let status = try await process.exitStatus()
        guard status == 0 else {
            throw PoolKeeperError(code: .server, message: "scripts/db restart failed with status \(String(describing: status))")
        }
    }

    @Test("posts while the streams' backends are terminated again and again and the server restarts once: every row and alert arrives exactly once",
          .timeLimit(.minutes(4)))
    func restart() async throws {
        let name = unique("restart")
        let restarted = Flag()
        try await FeedFaults.run(settings: try settingsNamed(name), posts: 400) { strike in
            if strike == 4 {
                try await Self.restartServer()
                await restarted.set()
                return 1
            }
            return try await terminateBackends(named: name + " %")  // the streams' and the monitor's connections
        }
        #expect(await restarted.value, "the server restarted")
    }
}

/// A flag tasks can set.
actor Flag {
    private(set) var value = false
    func set() { value = true }
}
