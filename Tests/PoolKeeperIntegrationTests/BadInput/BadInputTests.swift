import Foundation
import PoolKeeper
import PostgresNIO
import Testing

/// Issue 9: every public declaration called with generated bad inputs
/// (BadInputRegistry). Each call must end as its entry expects: a typed
/// `PoolKeeperError` with the documented code and no SQLSTATE of class XX,
/// a nil, or the documented clamping; never a crash. The battery runs in a
/// database of its own, so that no other test's writes show, and the digest
/// of every poolkeeper table must be the same after each call as before.
@Suite struct BadInputTests {
    @Test func everyBadCallGetsItsDocumentedAnswerAndChangesNothing() async throws {
        try await BadInputDatabase.with { client in
            let fixture = try await BadInputFixture.make(client)
            var before = try await fixture.digest()
            var calls = 0
            for (key, entry) in BadInputRegistry.entries {
                guard case .calls(let list) = entry else { continue }
                for call in list {
                    calls += 1
                    await Self.check(call, of: key, fixture)
                    let after = try await fixture.digest()
                    #expect(after == before, "\(key) \(call.label) changed the database")
                    before = after  // so that each change is reported once, by the call that made it
                }
            }
            print("bad-input battery: \(calls) bad calls of \(BadInputRegistry.entries.count) declarations")
        }
    }

    static func check(_ call: BadCall, of key: String, _ fixture: BadInputFixture) async {
        if ProcessInfo.processInfo.environment["POOLKEEPER_BAD_INPUT_TRACE"] != nil { print("bad input: \(key) \(call.label)") }
        let what = "\(key) with \(call.label): expected \(call.expected)"
        do {
            let asExpected = try await withDeadline(.seconds(20)) { try await call.run(fixture) }
            switch call.expected {
            case .error: Issue.record("\(what), but it returned")
            case .nilResult, .accepted: #expect(asExpected, "\(what), but it returned something else")
            }
        } catch let error as PoolKeeperError {
            guard case .error(let code) = call.expected else {
                Issue.record("\(what), but it threw \(error)")
                return
            }
            #expect(error.code == code, "\(what), but it threw \(error)")
            #expect(!(error.sqlState ?? "").hasPrefix("XX"), "\(what): an internal error \(error)")
        } catch {
            Issue.record("\(what), but it threw an untyped \(type(of: error)): \(error)")
        }
    }

    /// `body`'s result, or a `DeadlineMissed` after `limit`: a bad call must not hang.
    static func withDeadline(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Bool) async throws -> Bool {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw DeadlineMissed()
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    struct DeadlineMissed: Error {}
}

/// A database of the battery's own, with the extension, dropped afterwards.
enum BadInputDatabase {
    static func with(_ body: @escaping @Sendable (PoolKeeperClient) async throws -> Void) async throws {
        let name = "poolkeeper_bad_input_\(UUID().uuidString.prefix(8).lowercased())"
        try await TestDatabase.withClient { admin in
            try await execute(admin, PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var settings = try ConnectionSettings.fromEnvironment()
        settings.database = name
        do {
            try await TestDatabase.withClient(settings: settings) { client in
                try await execute(client, "CREATE EXTENSION poolkeeper")
                try await body(client)
            }
        } catch {
            try await drop(name)
            throw error
        }
        try await drop(name)
    }

    private static func drop(_ name: String) async throws {
        try await TestDatabase.withClient { admin in
            try await execute(admin, PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }
}
