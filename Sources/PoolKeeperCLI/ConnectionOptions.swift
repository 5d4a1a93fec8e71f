import ArgumentParser
import PoolKeeper

/// Options every subcommand that talks to the database accepts.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "A postgres:// URL; by default the libpq environment variables are used.")
    var url: String?

    func settings() throws -> ConnectionSettings {
        if let url { return try ConnectionSettings(url: url) }
        return try ConnectionSettings.fromEnvironment()
    }
}
