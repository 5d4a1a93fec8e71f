import ArgumentParser

/// `poolkeeper`: the command line of poolkeeper.
@main
struct PoolKeeperCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poolkeeper",
        abstract: "Investment-pool bookkeeping and alerts in PostgreSQL.",
        discussion: "Connects with the libpq settings (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) or --database-url.",
        subcommands: [VersionCommand.self, PoolCommand.self, ReportCommand.self, WatchCommand.self, BacktestCommand.self,
                      SimulateCommand.self, DemoCommand.self],
        defaultSubcommand: VersionCommand.self
    )
}
