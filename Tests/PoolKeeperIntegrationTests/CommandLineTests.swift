import Foundation
import PoolKeeper
import Testing

/// Runs the `poolkeeper` executable built next to this test bundle.
/// `environment` adds to (or replaces in) this process's environment; `removing` takes variables out.
/// `directory`: the working directory (default: this process's).
func runPoolKeeper(_ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
                   directory: URL? = nil) throws -> (status: Int32, output: String, error: String) {
    let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let process = Process()
    process.executableURL = buildFolder.appendingPathComponent("poolkeeper")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }.filter { !removing.contains($0.key) }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    // Read before waiting: a process that fills the pipe would otherwise wait for us forever.
    let printed = output.fileHandleForReading.readDataToEndOfFile()
    let complained = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: printed, as: UTF8.self), String(decoding: complained, as: UTF8.self))
}

@Suite("The poolkeeper command line")
struct CommandLineTests {
    @Test("poolkeeper version prints the installed extension's version")
    func version() throws {
        let result = try runPoolKeeper(["version"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.hasPrefix("poolkeeper 0."))
    }

    @Test("a database without the extension is a clear error and exit status 1")
    func extensionMissing() throws {
        let result = try runPoolKeeper(["version"], environment: ["PGDATABASE": "postgres"])
        #expect(result.status == 1)
        #expect(result.error.contains("extensionNotInstalled"))
    }

    @Test("an unreachable server fails within --timeout")
    func unreachable() throws {
        let start = ContinuousClock.now
        let result = try runPoolKeeper(["version", "--timeout", "1"], environment: ["PGHOST": "127.0.0.1", "PGPORT": "1"])
        #expect(result.status == 1)
        #expect(result.error.contains("connectionLost"))
        #expect(ContinuousClock.now - start < .seconds(15))
    }

    @Test("an unknown database is reported in the server's words, at once")
    func unknownDatabase() throws {
        let start = ContinuousClock.now
        let result = try runPoolKeeper(["version"], environment: ["PGDATABASE": "no_such_database"])
        #expect(result.status == 1)
        #expect(result.error.contains("3D000"))
        // At once, as against the pool's minute of retries; loose, as the suite runs other processes alongside.
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test("a malformed setting is refused before connecting")
    func malformedSetting() throws {
        let result = try runPoolKeeper(["version"], environment: ["PGPORT": "not-a-port"])
        #expect(result.status != 0)
        #expect(result.error.contains("invalidConfiguration"))
    }
}

@Suite("checkConnection() reports the server's own error at once")
struct CheckConnectionTests {
    @Test("an unknown database is the server's 3D000, not a lost connection")
    func unknownDatabase() async throws {
        var settings = try ConnectionSettings.fromEnvironment()
        settings.database = "no_such_database"
        let client = try PoolKeeperClient(settings: settings, logger: TestDatabase.logger)
        let start = ContinuousClock.now
        await #expect { try await client.checkConnection() } throws: { error in
            (error as? PoolKeeperError)?.sqlState == "3D000"
        }
        // At once, as against the pool's minute of retries; loose, as the suite runs other processes alongside.
        #expect(ContinuousClock.now - start < .seconds(30))
    }

    @Test("the private database answers")
    func reachable() async throws {
        let client = try PoolKeeperClient(settings: .fromEnvironment(), logger: TestDatabase.logger)
        try await client.checkConnection()
    }
}
