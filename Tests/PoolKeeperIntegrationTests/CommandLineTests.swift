import Foundation
import Testing

/// Runs the `poolkeeper` executable built next to this test bundle.
func runPoolKeeper(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String, error: String) {
    let buildFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let process = Process()
    process.executableURL = buildFolder.appendingPathComponent("poolkeeper")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe(), error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus,
            String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self),
            String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
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

    @Test("a malformed setting is refused before connecting")
    func malformedSetting() throws {
        let result = try runPoolKeeper(["version"], environment: ["PGPORT": "not-a-port"])
        #expect(result.status != 0)
        #expect(result.error.contains("invalidConfiguration"))
    }
}
