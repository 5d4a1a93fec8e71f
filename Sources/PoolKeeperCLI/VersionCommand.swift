import ArgumentParser
import PoolKeeper

/// `poolkeeper version`: connects and prints the installed extension's version.
struct VersionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print the version of the poolkeeper extension installed in the database."
    )

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let version = try await connection.request { try await $0.extensionVersion() }
        print("poolkeeper \(version)")
    }
}
