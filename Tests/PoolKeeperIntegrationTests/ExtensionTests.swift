import Foundation
import PoolKeeper
import PostgresNIO
import Testing

@Suite("The installed extension, seen through the library")
struct ExtensionTests {
    @Test("extensionVersion() is the control file's default_version")
    func version() async throws {
        let control = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../sql/poolkeeper.control").standardized, encoding: .utf8)
        let expected = control.split(separator: "\n")
            .first { $0.hasPrefix("default_version") }?
            .split(separator: "'").dropFirst().first.map(String.init)
        let version = try await TestDatabase.withClient { try await $0.extensionVersion() }
        #expect(version == expected)
    }

    @Test("every SQLSTATE in poolkeeper.error_codes maps to its own PoolKeeperError code")
    func everyDocumentedCodeIsMapped() async throws {
        let states = try await TestDatabase.withClient { client in
            var states: [String] = []
            for try await state in try await client.postgres.query("SELECT sqlstate FROM poolkeeper.error_codes", logger: TestDatabase.logger)
                .decode(String.self) {
                states.append(state)
            }
            return states
        }
        #expect(states.count == 27)
        for state in states {
            #expect(PoolKeeperError.Code(sqlState: state) != .server, "\(state) has no PoolKeeperError code")
        }
    }

    @Test("docs/errors.md documents every SQLSTATE of poolkeeper.error_codes")
    func errorsAreDocumented() async throws {
        let docs = try String(contentsOf: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().appendingPathComponent("../../docs/errors.md").standardized, encoding: .utf8)
        let codes = try await TestDatabase.withClient { client in
            var codes: [(String, String)] = []
            for try await code in try await client.postgres.query("SELECT sqlstate, name FROM poolkeeper.error_codes", logger: TestDatabase.logger)
                .decode((String, String).self) {
                codes.append(code)
            }
            return codes
        }
        for (state, name) in codes {
            #expect(docs.contains("| `\(state)` | \(name) |"), "docs/errors.md lacks \(state) \(name)")
        }
    }

    @Test("a refused post arrives as a typed error with SQLSTATE and message")
    func typedServerError() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await Fixture.create(client, investors: 1)
            do {
                _ = try await scalar(client, "SELECT poolkeeper.post_transaction(\(fixture.pool), \(fixture.investors[0]), 'withdrawal', \(Decimal(string: "0.01")!))")
                Issue.record("the withdrawal should have been refused")
            } catch {
                let error = PoolKeeperError(error)
                #expect(error.code == .insufficientPosition)
                #expect(error.sqlState == "PKS04")
                #expect(error.message.contains("below zero"))
            }
        }
    }

    @Test("Decimal amounts round-trip exactly: 0.10 + 0.20 is 0.30")
    func exactDecimals() async throws {
        try await TestDatabase.withClient { client in
            let fixture = try await Fixture.create(client, investors: 1)
            for amount in ["0.10", "0.20"] {
                _ = try await scalar(client, """
                    SELECT poolkeeper.post_transaction(\(fixture.pool), \(fixture.investors[0]), 'contribution', \(Decimal(string: amount)!))
                    """)
            }
            let rows = try await client.postgres.query(
                "SELECT contributed FROM poolkeeper.positions WHERE pool_id = \(fixture.pool)", logger: TestDatabase.logger)
            for try await contributed in rows.decode(Decimal.self) {
                #expect(contributed == Decimal(string: "0.30")!)
            }
        }
    }
}
