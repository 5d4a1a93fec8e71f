import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOSSL
import PostgresNIO

/// Where and how to reach the database that holds poolkeeper, read the way
/// libpq reads it: from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE and
/// PGSSLMODE (and PGSSLROOTCERT, PGAPPNAME), or from a `postgres://` URL.
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
    /// The name the server shows for these connections in pg_stat_activity
    /// and its logs (libpq's `application_name`).
    public var applicationName: String?

    public init(endpoint: Endpoint, username: String, password: String? = nil, database: String? = nil,
                tlsMode: TLSMode = .prefer, tlsRootCertificatePath: String? = nil, applicationName: String? = nil) {
        self.endpoint = endpoint
        self.username = username
        self.password = password
        self.database = database
        self.tlsMode = tlsMode
        self.tlsRootCertificatePath = tlsRootCertificatePath
        self.applicationName = applicationName
    }

    /// Settings from libpq's environment variables, with libpq's defaults:
    /// the Debian socket folder, port 5432, the operating-system user, a
    /// database named after the user. Throws `.invalidConfiguration` for a
    /// malformed value.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Self {
        try resolve(keywords: [:], environment: environment)
    }

    /// Settings from a URL such as `postgres://user:secret@db.example.com:5432/pools?sslmode=require`,
    /// read as libpq reads it: query parameters (`host`, `port`, `user`,
    /// `password`, `dbname`, `sslmode`, `sslrootcert`, `application_name`) win over the parts of
    /// the address, a `host` parameter starting with `/` names a unix-socket
    /// folder (`postgres:///pools?host=/run/postgresql`), and what the URL
    /// leaves out comes from `environment`, then from libpq's defaults.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url),
              components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw PoolKeeperError(code: .invalidConfiguration, message: "not a postgres:// URL: \(url)")
        }
        var keywords: [String: String] = [:]
        if var host = components.host, !host.isEmpty {
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            keywords["host"] = host.removingPercentEncoding ?? host
        }
        if let port = components.port { keywords["port"] = String(port) }
        if let user = components.percentEncodedUser, !user.isEmpty { keywords["user"] = user.removingPercentEncoding ?? user }
        if let password = components.percentEncodedPassword { keywords["password"] = password.removingPercentEncoding ?? password }
        let path = components.percentEncodedPath.hasPrefix("/") ? String(components.percentEncodedPath.dropFirst()) : components.percentEncodedPath
        if !path.isEmpty { keywords["dbname"] = path.removingPercentEncoding ?? path }
        for item in components.queryItems ?? [] {
            if let value = item.value { keywords[item.name] = value }
        }
        self = try Self.resolve(keywords: keywords, environment: environment)
    }

    /// libpq's order: a keyword given in the URL, else its environment variable, else the default.
    private static func resolve(keywords: [String: String], environment: [String: String]) throws -> Self {
        func pick(_ keyword: String, _ variable: String) -> String? {
            if let value = keywords[keyword], !value.isEmpty { return value }
            if let value = environment[variable], !value.isEmpty { return value }
            return nil
        }
        let port = try parsePort(pick("port", "PGPORT"))
        let username = pick("user", "PGUSER") ?? operatingSystemUser(environment)
        return Self(
            endpoint: endpoint(host: pick("host", "PGHOST") ?? "/var/run/postgresql", port: port),
            username: username,
            password: pick("password", "PGPASSWORD"),
            database: pick("dbname", "PGDATABASE") ?? username,
            tlsMode: try parseTLSMode(pick("sslmode", "PGSSLMODE")),
            tlsRootCertificatePath: pick("sslrootcert", "PGSSLROOTCERT"),
            applicationName: pick("application_name", "PGAPPNAME")
        )
    }

    /// The name of the user this process runs as, as libpq takes it.
    private static func operatingSystemUser(_ environment: [String: String]) -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name {
            return String(cString: name)
        }
        return environment["USER"] ?? "postgres"
    }

    /// The PostgresNIO client (pool) configuration for these settings.
    public func postgresConfiguration() throws -> PostgresClient.Configuration {
        var configuration = try endpointConfiguration()
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    private var startupParameters: [(String, String)] {
        applicationName.map { [("application_name", $0)] } ?? []
    }

    private func endpointConfiguration() throws -> PostgresClient.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            return PostgresClient.Configuration(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresClient.Configuration.TLS
            switch tlsPolicy() {
            case .none: tls = .disable
            case .prefer(let configuration): tls = .prefer(configuration)
            case .require(let configuration): tls = .require(configuration)
            }
            return PostgresClient.Configuration(host: host, port: port, username: username, password: password,
                                                database: database, tls: tls)
        }
    }

    /// The PostgresNIO configuration of a single connection for these
    /// settings. Throws `.invalidConfiguration` when the TLS context cannot
    /// be made (a root certificate file that cannot be read).
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        var configuration = try endpointConnectionConfiguration()
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    private func endpointConnectionConfiguration() throws -> PostgresConnection.Configuration {
        switch endpoint {
        case .unixSocket(let path):
            return PostgresConnection.Configuration(unixSocketPath: path, username: username, password: password, database: database)
        case .tcp(let host, let port):
            let tls: PostgresConnection.Configuration.TLS
            switch tlsPolicy() {
            case .none: tls = .disable
            case .prefer(let configuration): tls = .prefer(try Self.context(configuration))
            case .require(let configuration): tls = .require(try Self.context(configuration))
            }
            return PostgresConnection.Configuration(host: host, port: port, username: username, password: password,
                                                    database: database, tls: tls)
        }
    }

    /// The TLS context of a connection; `.invalidConfiguration` when it
    /// cannot be made, e.g. the root certificate file cannot be read.
    private static func context(_ configuration: TLSConfiguration) throws(PoolKeeperError) -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw PoolKeeperError(code: .invalidConfiguration, message: "no TLS context for these settings: \(error)")
        }
    }

    /// Whether and how TLS is used, with libpq's meaning of each sslmode.
    enum TLSPolicy {
        case none
        case prefer(TLSConfiguration)
        case require(TLSConfiguration)
    }

    func tlsPolicy() -> TLSPolicy {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let tlsRootCertificatePath {
            configuration.trustRoots = .file(tlsRootCertificatePath)
        }
        switch tlsMode {
        case .disable:
            return .none
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
