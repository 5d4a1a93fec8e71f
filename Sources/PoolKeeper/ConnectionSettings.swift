import Foundation
import NIOSSL
import PostgresNIO

/// Where and how to reach the database that holds poolkeeper, read the way
/// libpq reads it: from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and
/// PGSSLMODE, or from a `postgres://` URL.
///
/// A host that starts with `/` is a unix-socket folder, as in libpq: the
/// socket is `<folder>/.s.PGSQL.<port>`.
public struct ConnectionSettings: Sendable, Equatable {
    /// The server's address.
    public enum Endpoint: Sendable, Equatable {
        /// The full path of a unix socket, e.g. `/run/postgresql/.s.PGSQL.5432`.
        case unixSocket(path: String)
        /// A host name or address and a TCP port.
        case tcp(host: String, port: Int)
    }

    /// How to use TLS on a TCP connection, named as libpq's `sslmode`.
    public enum TLSMode: String, Sendable, Equatable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var endpoint: Endpoint
    public var username: String
    public var password: String?
    public var database: String?
    public var tlsMode: TLSMode
    /// A PEM file of trusted root certificates (libpq's `sslrootcert`).
    public var tlsRootCertificatePath: String?

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String? = nil,
                tlsMode: TLSMode = .prefer, tlsRootCertificatePath: String? = nil) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.tlsRootCertificatePath = tlsRootCertificatePath
    }

    /// Settings from libpq's environment variables, with libpq's defaults:
    /// the Debian socket folder, port 5432, the OS user, a database named
    /// after the user. Throws `.invalidConfiguration` for a malformed value.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let port = try parsePort(value("PGPORT"))
        let username = value("PGUSER") ?? value("USER") ?? "postgres"
        return Self(
            endpoint: endpoint(host: value("PGHOST") ?? "/var/run/postgresql", port: port),
            username: username,
            password: value("PGPASSWORD"),
            database: value("PGDATABASE") ?? username,
            tlsMode: try parseTLSMode(value("PGSSLMODE")),
            tlsRootCertificatePath: value("PGSSLROOTCERT")
        )
    }

    /// Settings from a URL such as `postgres://user:secret@db.example.com:5432/pools?sslmode=require`.
    /// As in libpq, a `host` query parameter may name a unix-socket folder:
    /// `postgres:///pools?host=/run/postgresql`. What the URL leaves out is taken
    /// from `environment`, as libpq does.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw PoolKeeperError(code: .invalidConfiguration, message: "not a postgres:// URL: \(url)")
        }
        var defaults = try Self.fromEnvironment(environment)
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        let port = try components.port ?? Self.parsePort(query["port"] ?? environment["PGPORT"])
        if let host = query["host"] ?? components.percentEncodedHost.flatMap({ $0.isEmpty ? nil : $0.removingPercentEncoding }) {
            defaults.endpoint = Self.endpoint(host: host, port: port)
        } else if case .unixSocket = defaults.endpoint {
            defaults.endpoint = Self.endpoint(host: environment["PGHOST"] ?? "/var/run/postgresql", port: port)
        }
        if let user = components.user, !user.isEmpty { defaults.username = user }
        if let password = components.password { defaults.password = password }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        if !path.isEmpty { defaults.database = path }
        if let mode = query["sslmode"] { defaults.tlsMode = try Self.parseTLSMode(mode) }
        if let root = query["sslrootcert"] { defaults.tlsRootCertificatePath = root }
        self = defaults
    }

    /// The PostgresNIO configuration for these settings.
    public func postgresConfiguration() throws -> PostgresClient.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            return PostgresClient.Configuration(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            return PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                database: database, tls: try tls())
        }
    }

    private func tls() throws -> PostgresClient.Configuration.TLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let tlsRootCertificatePath {
            configuration.trustRoots = .file(tlsRootCertificatePath)
        }
        switch tlsMode {
        case .disable:
            return .disable
        case .allow, .prefer:
            configuration.certificateVerification = .none
            return .prefer(configuration)
        case .require:
            // libpq's `require` encrypts but checks the certificate only when a root is given.
            configuration.certificateVerification = tlsRootCertificatePath == nil ? .none : .noHostnameVerification
            return .require(configuration)
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
            return .require(configuration)
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
            return .require(configuration)
        }
    }

    private static func endpoint(host: String, port: Int) -> Endpoint {
        if host.hasPrefix("/") {
            let folder = host.hasSuffix("/") ? String(host.dropLast()) : host
            return .unixSocket(path: "\(folder)/.s.PGSQL.\(port)")
        }
        return .tcp(host: host, port: port)
    }

    private static func parsePort(_ text: String?) throws -> Int {
        guard let text, !text.isEmpty else { return 5432 }
        guard let port = Int(text), (1...65535).contains(port) else {
            throw PoolKeeperError(code: .invalidConfiguration, message: "port \(text) is not a number from 1 to 65535")
        }
        return port
    }

    private static func parseTLSMode(_ text: String?) throws -> TLSMode {
        guard let text, !text.isEmpty else { return .prefer }
        guard let mode = TLSMode(rawValue: text) else {
            throw PoolKeeperError(code: .invalidConfiguration,
                                  message: "sslmode \(text) is not disable, allow, prefer, require, verify-ca or verify-full")
        }
        return mode
    }
}
