import Foundation
#if canImport(Glibc)
import Glibc
#endif
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
        var environment = ProcessInfo.processInfo.environment
        environment["POOLKEEPER_PGDATABASE"] = database
        let (status, printed, complaints) = try run(root.appendingPathComponent("scripts/db"), ["install"], environment)
        guard status == 0 else {
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

    /// Runs `executable` to its exit and returns its status and output.
    ///
    /// Not with Foundation's `Process`: the PostgreSQL server the script
    /// starts inherits the script's descriptors, and `Process` waits until
    /// they close as well (for a server: until it stops). So this spawns the
    /// script with its output going to files, every other descriptor closed,
    /// and waits for the script alone.
    private static func run(_ executable: URL, _ arguments: [String],
                            _ environment: [String: String]) throws(PoolKeeperError) -> (Int32, String, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("poolkeeper-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw PoolKeeperError(code: .invalidConfiguration, message: "could not create \(folder.path): \(error)")
        }
        let (out, err) = (folder.appendingPathComponent("out").path, folder.appendingPathComponent("err").path)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let inherited = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in inherited where fd > 2 && fcntl(fd, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The script starts with no signal blocked and default dispositions,
        // whatever this thread has, so that Ctrl-C and a stop reach it and what it starts.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), defaults = sigset_t()
        sigemptyset(&noSignals)
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw PoolKeeperError(code: .invalidConfiguration,
                                  message: "could not run \(executable.path): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var waited = waitpid(pid, &status, 0)
        while waited == -1 && errno == EINTR { waited = waitpid(pid, &status, 0) }
        guard waited == pid else {
            throw PoolKeeperError(code: .invalidConfiguration,
                                  message: "could not wait for \(executable.path): \(String(cString: strerror(errno)))")
        }
        // WIFEXITED / WEXITSTATUS; a signal counts as a failure.
        let exitStatus: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (exitStatus, read(out), read(err))
    }
}
