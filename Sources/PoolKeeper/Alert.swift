import Foundation

/// One row of the alert log (`poolkeeper.alerts`): raised once, never changed.
public struct Alert: Hashable, Sendable {
    /// What the alert is about.
    public enum Kind: String, Hashable, Sendable, Codable {
        /// A ledger row above its pool's threshold; raised by the database.
        case largeTransaction = "large_transaction"
        /// A sudden rise in the number of a pool's ledger rows; raised by a spike monitor.
        case spike
    }

    /// The details of an alert, typed by its kind.
    public enum Details: Hashable, Sendable {
        case largeTransaction(LargeTransactionDetails)
        /// A spike raised by a ``SpikeMonitor``.
        case spike(SpikeAlertDetails)
        /// Details the library does not type (yet): the JSON object as text.
        case json(String)

        /// The typed details of an alert of `kind` stored as `json`; `.json` when they do not parse.
        init(kind: Kind, json: String) {
            switch kind {
            case .largeTransaction: self = LargeTransactionDetails(json: json).map { .largeTransaction($0) } ?? .json(json)
            case .spike: self = SpikeAlertDetails(json: json).map { .spike($0) } ?? .json(json)
            }
        }
    }

    public var id: AlertID
    public var kind: Kind
    public var poolID: PoolID
    /// The ledger row the alert is about, when there is one.
    public var transactionID: TransactionID?
    public var details: Details
    /// The details as stored: a JSON object.
    public var detailsJSON: String
    public var raisedAt: Date
    /// Unique: raising a second alert under the same key does nothing.
    public var dedupeKey: String
}

/// What a `large_transaction` alert records about its ledger row, or about
/// a distribution (which raises one alert for its total, not one per row).
public struct LargeTransactionDetails: Hashable, Sendable {
    /// The row's amount, or the distribution's total.
    public var amount: Money
    /// The threshold in force when the row was posted.
    public var threshold: Decimal
    /// The row's investor; nil for a distribution, which pays many.
    public var investorID: InvestorID?
    public var transactionKind: LedgerTransaction.Kind
    /// The distribution the alert is about; nil for a single row.
    public var operationID: OperationID?
    /// How many rows the distribution wrote; nil for a single row.
    public var rows: Int?

    /// Reads the details object the ledger trigger (or distribute) writes;
    /// amounts are JSON strings there, so they are read exactly. Nil when it
    /// is not of that shape.
    init?(json: String) {
        struct Raw: Decodable {
            let amount: String
            let threshold: String
            let currency: String
            let investor_id: Int64?
            let transaction_kind: String
            let operation_id: Int64?
            let rows: Int?
        }
        guard let raw = try? JSONDecoder().decode(Raw.self, from: Data(json.utf8)),
              let amount = Decimal(string: raw.amount, locale: Locale(identifier: "en_US_POSIX")),
              let threshold = Decimal(string: raw.threshold, locale: Locale(identifier: "en_US_POSIX")),
              let kind = LedgerTransaction.Kind(rawValue: raw.transaction_kind) else { return nil }
        self.amount = Money(amount, raw.currency)
        self.threshold = threshold
        self.investorID = raw.investor_id.map(InvestorID.init(rawValue:))
        self.transactionKind = kind
        self.operationID = raw.operation_id.map(OperationID.init(rawValue:))
        self.rows = raw.rows
    }
}

/// A position in one of the feeds (`alerts_after`, `transactions_after`):
/// reading after it returns every row committed since, each exactly once,
/// whatever order transactions committed in. Store it to resume later.
public struct FeedCursor: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The cursor text the database hands out.
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// Alerts read from the alert feed, and the cursor to read on from.
public struct AlertBatch: Sendable {
    public var alerts: [Alert]
    /// Pass to the next read; unchanged when no alert was read.
    public var cursor: FeedCursor?
}
