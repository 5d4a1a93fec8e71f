import Foundation
import PoolKeeper
import PostgresNIO
import Testing

@Suite("ConnectionSettings reads libpq settings")
struct ConnectionSettingsTests {
    @Test("a PGHOST path is a unix-socket folder")
    func unixSocketFromEnvironment() throws {
        let settings = try ConnectionSettings.fromEnvironment(
            ["PGHOST": "/work/.pgdata/run", "PGPORT": "54329", "PGUSER": "postgres", "PGDATABASE": "poolkeeper"])
        #expect(settings.endpoint == .unixSocket(path: "/work/.pgdata/run/.s.PGSQL.54329"))
        #expect(settings.username == "postgres")
        #expect(settings.database == "poolkeeper")
        #expect(settings.password == nil)
    }

    @Test("a PGHOST name is a TCP host, with password and sslmode")
    func tcpFromEnvironment() throws {
        let settings = try ConnectionSettings.fromEnvironment(
            ["PGHOST": "db.example.com", "PGUSER": "app", "PGPASSWORD": "s3cret", "PGSSLMODE": "verify-full"])
        #expect(settings.endpoint == .tcp(host: "db.example.com", port: 5432))
        #expect(settings.password == "s3cret")
        #expect(settings.tlsMode == .verifyFull)
        #expect(settings.database == "app", "the database defaults to the user name, as in libpq")
    }

    @Test("PGAPPNAME, or application_name in a URL, names the connections")
    func applicationName() throws {
        #expect(try ConnectionSettings.fromEnvironment(["PGAPPNAME": "ledger-api"]).applicationName == "ledger-api")
        #expect(try ConnectionSettings.fromEnvironment([:]).applicationName == nil)
        let url = try ConnectionSettings(url: "postgres://app@db/pools?application_name=watcher", environment: ["PGAPPNAME": "x"])
        #expect(url.applicationName == "watcher")
        let configuration = try url.postgresConfiguration()
        #expect(configuration.options.additionalStartupParameters.map { "\($0.0)=\($0.1)" } == ["application_name=watcher"])
    }

    @Test("libpq defaults when nothing is set: the operating-system user, whatever USER says")
    func defaults() throws {
        let settings = try ConnectionSettings.fromEnvironment(["USER": "somebody-else", "PGHOST": ""])
        #expect(settings.endpoint == .unixSocket(path: "/var/run/postgresql/.s.PGSQL.5432"), "an empty PGHOST counts as unset")
        #expect(settings.username == ProcessInfo.processInfo.userName)
        #expect(settings.database == ProcessInfo.processInfo.userName)
        #expect(settings.tlsMode == .prefer)
    }

    @Test("a malformed port or sslmode is an invalidConfiguration error", arguments: [
        ["PGPORT": "x"], ["PGPORT": "0"], ["PGPORT": "70000"], ["PGSSLMODE": "sometimes"],
    ])
    func malformed(environment: [String: String]) {
        #expect { try ConnectionSettings.fromEnvironment(environment) } throws: { error in
            (error as? PoolKeeperError)?.code == .invalidConfiguration
        }
    }

    @Test("a postgres:// URL with host, port, user, password, database and sslmode")
    func url() throws {
        let settings = try ConnectionSettings(url: "postgres://app:p%40ss@db.example.com:6432/pools?sslmode=require", environment: [:])
        #expect(settings.endpoint == .tcp(host: "db.example.com", port: 6432))
        #expect(settings.username == "app")
        #expect(settings.password == "p@ss")
        #expect(settings.database == "pools")
        #expect(settings.tlsMode == .require)
    }

    @Test("a URL with a host query parameter names a socket folder")
    func urlWithSocket() throws {
        let settings = try ConnectionSettings(url: "postgresql:///pools?host=/run/pg&port=5433", environment: ["PGUSER": "ada"])
        #expect(settings.endpoint == .unixSocket(path: "/run/pg/.s.PGSQL.5433"))
        #expect(settings.username == "ada")
        #expect(settings.database == "pools")
    }

    @Test("what the URL leaves out comes from the environment")
    func urlFallsBackToEnvironment() throws {
        let settings = try ConnectionSettings(url: "postgres:///pools",
                                              environment: ["PGHOST": "/tmp/pg", "PGPORT": "6000", "PGUSER": "bob"])
        #expect(settings.endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.6000"))
        #expect(settings.username == "bob")
    }

    @Test("the URL's port applies to a host from PGHOST")
    func urlPortWithEnvironmentHost() throws {
        let settings = try ConnectionSettings(url: "postgres:///pools?port=54329", environment: ["PGHOST": "127.0.0.1"])
        #expect(settings.endpoint == .tcp(host: "127.0.0.1", port: 54329))
    }

    @Test("the database defaults to the URL's user, not PGUSER's")
    func databaseDefaultsToURLUser() throws {
        let settings = try ConnectionSettings(url: "postgres://alice@/?host=/tmp", environment: ["PGUSER": "nobody"])
        #expect(settings.username == "alice")
        #expect(settings.database == "alice")
    }

    @Test("an IPv6 address loses its brackets")
    func ipv6() throws {
        let settings = try ConnectionSettings(url: "postgres://[::1]:5433/db", environment: [:])
        #expect(settings.endpoint == .tcp(host: "::1", port: 5433))
    }

    @Test("query parameters win over the address, as in libpq")
    func queryParametersWin() throws {
        let settings = try ConnectionSettings(
            url: "postgres://a:x@db.example.com:5432/one?port=6543&user=b&password=y&dbname=two&sslmode=disable", environment: [:])
        #expect(settings.endpoint == .tcp(host: "db.example.com", port: 6543))
        #expect(settings.username == "b")
        #expect(settings.password == "y")
        #expect(settings.database == "two")
        #expect(settings.tlsMode == .disable)
    }

    @Test("a URL of another scheme is refused")
    func notAPostgresURL() {
        #expect { try ConnectionSettings(url: "mysql://db/pools", environment: [:]) } throws: { error in
            (error as? PoolKeeperError)?.code == .invalidConfiguration
        }
    }

    @Test("every sslmode builds a PostgresNIO configuration", arguments: ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])
    func tlsModes(mode: String) throws {
        let settings = try ConnectionSettings.fromEnvironment(["PGHOST": "localhost", "PGSSLMODE": mode])
        let configuration = try settings.postgresConfiguration()
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 5432)
    }
}
