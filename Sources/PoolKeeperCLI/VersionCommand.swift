import ArgumentParser
import Logging
import PoolKeeper

/// `poolkeeper version`: connects and prints the installed extension's version.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version of the poolkeeper extension installed in the database."
    )

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        var logger = Logger(label: "poolkeeper")
        logger.logLevel = .error
        let client = try PoolKeeperClient(settings: connection.settings(), maximumConnections: 1, logger: logger)
        do {
            let version = try await connection.withTimeout(running: client) {
                // One direct connection first: a wrong password or database is
                // reported at once, in the server's words.
                try await client.checkConnection()
                return try await client.extensionVersion()
            }
            print("poolkeeper \(version)")
        } catch let error as PoolKeeperError {
            printError("poolkeeper: \(error)")
            throw ExitCode.failure
        }
    }
}
