import Logging
import PostgresNIO

extension PostgresConnection {
    /// Runs a write between BEGIN and COMMIT and returns its rows once COMMIT
    /// has answered. PostgresNIO 1.33.2 ends a query at its CommandComplete,
    /// which the server sends before it commits a statement outside a
    /// transaction block (at the Sync that follows): a connection lost in
    /// between would report a write as done that never committed (the stress
    /// harness caught two). On an error the transaction is left to the
    /// caller: roll it back, or drop the connection.
    func committedRows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        _ = try await self.query("BEGIN", logger: logger).collect()
        let rows = try await self.query(query, logger: logger).collect()
        _ = try await self.query("COMMIT", logger: logger).collect()
        return rows
    }
}
