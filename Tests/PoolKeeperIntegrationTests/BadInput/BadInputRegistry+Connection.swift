import Foundation
import PoolKeeper

extension BadInputRegistry {
    /// TCP settings whose root certificate file does not exist.
    static let missingCertificate = ConnectionSettings(endpoint: .tcp(host: "127.0.0.1", port: 1), username: "nobody",
                                                       tlsMode: .verifyFull, tlsRootCertificatePath: "/nonexistent/root.pem")

    static let connection: [(String, BadInputEntry)] = [
        ("PoolKeeperClient.swift: PoolKeeperClient.init(settings:maximumConnections:retryPolicy:logger:)",
         .calls(each([("0", 0), ("-1", -1), ("Int.min", Int.min)], "maximumConnections", .invalidConfiguration) { f, count in
             _ = try PoolKeeperClient(settings: f.client.settings, maximumConnections: count)
         })),
        ("PoolKeeperClient.swift: PoolKeeperClient.run()", .noInput("takes no arguments")),
        ("PoolKeeperClient.swift: PoolKeeperClient.extensionVersion()", .noInput("takes no arguments")),
        ("PoolKeeperClient+Verify.swift: PoolKeeperClient.verify()", .noInput("takes no arguments")),
        ("PoolKeeperClient.swift: PoolKeeperClient.checkConnection()",
         .calls([.fails("missing root certificate", .invalidConfiguration) { _ in
             try await PoolKeeperClient(settings: missingCertificate).checkConnection()
         }, .fails("unknown database: the server's own error", .server) { f in
             var settings = f.client.settings
             settings.database = "pk_no_such_database"
             try await PoolKeeperClient(settings: settings).checkConnection()
         }, .fails("nothing listening", .connectionLost) { f in
             var settings = f.client.settings
             settings.endpoint = .unixSocket(path: "/nonexistent/.s.PGSQL.1")
             try await PoolKeeperClient(settings: settings).checkConnection()
         }])),
        ("ConnectionSettings.swift: ConnectionSettings.init(endpoint:username:password:database:tlsMode:tlsRootCertificatePath:applicationName:)",
         .noInput("a plain value: its fields are checked on connecting (checkConnection's entries)")),
        ("ConnectionSettings.swift: ConnectionSettings.fromEnvironment(_:)",
         .calls(each([("PGPORT 0", ["PGPORT": "0"]), ("PGPORT -1", ["PGPORT": "-1"]), ("PGPORT 65536", ["PGPORT": "65536"]),
                      ("PGPORT abc", ["PGPORT": "abc"]), ("PGPORT 10^30", ["PGPORT": "1" + String(repeating: "0", count: 30)]),
                      ("PGPORT with NUL", ["PGPORT": "5432\u{0}"]), ("PGSSLMODE bogus", ["PGSSLMODE": "bogus"]),
                      ("PGSSLMODE 1 MB", ["PGSSLMODE": BadValues.megabyte])], "", .invalidConfiguration) { _, environment in
             _ = try ConnectionSettings.fromEnvironment(environment)
         })),
        ("ConnectionSettings.swift: ConnectionSettings.init(url:environment:)",
         .calls(each([("empty", ""), ("http", "http://db/pools"), ("port 0", "postgres://db:0/pools"), ("port 99999", "postgres://db:99999/pools"),
                      ("sslmode bogus", "postgres://db/pools?sslmode=bogus"), ("1 MB", BadValues.megabyte), ("NUL", "postgres://db\u{0}/pools"),
                      ("control character", "postgres://db\u{1}/pools")], "url", .invalidConfiguration) { _, url in
             _ = try ConnectionSettings(url: url, environment: [:])
         })),
        ("ConnectionSettings.swift: ConnectionSettings.postgresConfiguration()",
         .calls([.accepted("missing root certificate: read on connecting") { _ in
             (try? missingCertificate.postgresConfiguration()) != nil
         }])),
        ("ConnectionSettings.swift: ConnectionSettings.connectionConfiguration()",
         .calls([.fails("missing root certificate", .invalidConfiguration) { _ in _ = try missingCertificate.connectionConfiguration() }])),
        ("PoolKeeperError.swift: PoolKeeperError.init(code:message:sqlState:)", .noInput("makes the error it is given")),
        ("PoolKeeperError.swift: PoolKeeperError.init(_:)",
         .calls([.accepted("an error of another library: .server") { _ in PoolKeeperError(CocoaError(.fileNoSuchFile)).code == .server }])),
        ("PoolKeeperError.swift: PoolKeeperError.Code.init(sqlState:)",
         .calls([("empty", ""), ("XX000", "XX000"), ("lower case", "pka01"), ("1 MB", BadValues.megabyte), ("NUL", "PKA0\u{0}")].map { name, state in
             .accepted("SQLSTATE \(name): .server") { _ in PoolKeeperError.Code(sqlState: state) == .server }
         })),
        ("RetryPolicy.swift: RetryPolicy.init(maximumAttempts:initialDelay:maximumDelay:)",
         .calls([("0", 0), ("-1", -1), ("Int.min", Int.min)].map { name, attempts in
             .accepted("maximumAttempts \(name): one attempt") { _ in RetryPolicy(maximumAttempts: attempts).maximumAttempts == 1 }
         })),
    ]
}
