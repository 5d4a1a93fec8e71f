import Foundation
import PoolKeeper

/// The private database of a poolkeeper checkout (scripts/db), for `demo`
/// when no connection settings are given.
enum PrivateDatabase {
    /// Whether the user gave connection settings: --database-url, or any libpq variable that names a server or database.
    static func settingsGiven(url: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        url != nil || ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"].contains { environment[$0] != nil }
    }

    /// The checkout that holds scripts/db and the extension's sources: the
    /// current directory or one above it, or one above this executable.
    static func checkout() -> URL? {
        let starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                      URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()]
        for start in starts {
            var folder = start.standardizedFileURL
            while folder.path != "/" {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("scripts/db").path),
                   FileManager.default.fileExists(atPath: folder.appendingPathComponent("sql/poolkeeper.control").path) {
                    return folder
                }
                folder.deleteLastPathComponent()
            }
        }
        return nil
    }

    /// Starts (or reuses) the private cluster, installs the extension from
    /// the checkout into `database` and returns the settings to connect.
    /// Throws `.invalidConfiguration` with the script's own words when it fails.
    static func start(database: String) throws(PoolKeeperError) -> ConnectionSettings {
        guard let root = checkout() else {
            throw PoolKeeperError(code: .invalidConfiguration, message: """
                no connection settings and no poolkeeper checkout here to start a private database in: \
                run the demo from the checkout, or give --database-url or PGHOST/PGDATABASE
                """)
        }
        let process = Process()
        process.executableURL = root.appendingPathComponent("scripts/db")
        process.arguments = ["install"]
        var environment = ProcessInfo.processInfo.environment
        environment["POOLKEEPER_PGDATABASE"] = database
        process.environment = environment
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw PoolKeeperError(code: .invalidConfiguration, message: "could not run \(root.path)/scripts/db: \(error)")
        }
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complaints = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PoolKeeperError(code: .invalidConfiguration,
                                  message: "scripts/db install failed: \(complaints.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        // Lines of the form export NAME='value'.
        var settings = environment
        for line in printed.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            settings[String(pair[0])] = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        }
        settings["PGPASSWORD"] = nil
        do { return try ConnectionSettings.fromEnvironment(settings) } catch {
            throw PoolKeeperError(error)
        }
    }
}
