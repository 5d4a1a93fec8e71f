import PostgresNIO
import _ConnectionPoolModule

/// An error from poolkeeper: a rule of the extension refused the request, the
/// database could not be reached, or the settings were wrong.
///
/// `code` is stable and exhaustive enough to switch on; `sqlState` and
/// `message` carry what the server said. New codes may be added without
/// breaking callers, so always keep a `default` branch.
public struct PoolKeeperError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value to compare with the static members.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable {
            case invalidArgument, invalidAmount, unknownCurrency, invalidKind, unknownRole, invalidCursor
            case notFound, poolClosed, notAMember, alreadyAMember, insufficientPosition
            case positionNotZero, alreadyReversed, notReversible, idempotencyConflict
            case immutableLedger, roleAlreadyMapped, feedAfterWrite, permissionDenied
            case noAllocationBasis, callExceedsCommitment, paymentExceedsObligation, obligationOutstanding
            case serializationFailure, deadlockDetected, connectionLost, cancelled
            case extensionNotInstalled, invalidConfiguration, server
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// An argument is NULL, empty, too long, malformed or out of range (PKA01).
        public static let invalidArgument = Self(.invalidArgument)
        /// An amount is not positive, not finite, too large or too precise for the currency (PKA02).
        public static let invalidAmount = Self(.invalidAmount)
        /// The currency is not a known ISO 4217 code (PKA03).
        public static let unknownCurrency = Self(.unknownCurrency)
        /// The transaction kind is not one of the four (PKA04).
        public static let invalidKind = Self(.invalidKind)
        /// The login role does not exist (PKA05).
        public static let unknownRole = Self(.unknownRole)
        /// The feed cursor is malformed or belongs to the other feed (PKA06).
        public static let invalidCursor = Self(.invalidCursor)
        /// A pool, investor, manager, ledger row or capital call with that id
        /// does not exist, or the investor owes nothing in the call (PKN01-PKN06).
        public static let notFound = Self(.notFound)
        /// The pool is closed (PKS01).
        public static let poolClosed = Self(.poolClosed)
        /// The investor is not a current member of the pool (PKS02).
        public static let notAMember = Self(.notAMember)
        /// The investor is already a current member of the pool (PKS03).
        public static let alreadyAMember = Self(.alreadyAMember)
        /// The post would take net_invested below zero (PKS04).
        public static let insufficientPosition = Self(.insufficientPosition)
        /// The investor still holds a non-zero net position (PKS05).
        public static let positionNotZero = Self(.positionNotZero)
        /// The ledger row has already been reversed (PKS06).
        public static let alreadyReversed = Self(.alreadyReversed)
        /// The ledger row is a reversal, or a reversal does not match its row (PKS07).
        public static let notReversible = Self(.notReversible)
        /// The idempotency key was used for a different request (PKS08).
        public static let idempotencyConflict = Self(.idempotencyConflict)
        /// Ledger rows, positions and alerts cannot be changed directly (PKS09).
        public static let immutableLedger = Self(.immutableLedger)
        /// The login role already belongs to another manager or investor (PKS10).
        public static let roleAlreadyMapped = Self(.roleAlreadyMapped)
        /// The feed was read in a transaction that had already written (PKS11).
        public static let feedAfterWrite = Self(.feedAfterWrite)
        /// The weights to split pro rata to (commitments or net invested
        /// capital) sum to zero (PKS12).
        public static let noAllocationBasis = Self(.noAllocationBasis)
        /// The capital call would take a member's called capital above their commitment (PKS13).
        public static let callExceedsCommitment = Self(.callExceedsCommitment)
        /// The payment is more than the investor still owes on the capital call (PKS14).
        public static let paymentExceedsObligation = Self(.paymentExceedsObligation)
        /// The investor still owes on a capital call of the pool, so cannot leave it (PKS15).
        public static let obligationOutstanding = Self(.obligationOutstanding)
        /// The connection's role may not do this: a pool it does not manage, or a call
        /// its poolkeeper_* role does not allow (42501; docs/security.md).
        public static let permissionDenied = Self(.permissionDenied)
        /// A serializable transaction conflicted with another; retry it (40001).
        public static let serializationFailure = Self(.serializationFailure)
        /// The database broke a deadlock by aborting this transaction; retry it (40P01).
        public static let deadlockDetected = Self(.deadlockDetected)
        /// The connection failed or was closed before the answer arrived.
        public static let connectionLost = Self(.connectionLost)
        /// The calling task was cancelled, or the client was stopped, before the answer arrived.
        public static let cancelled = Self(.cancelled)
        /// The poolkeeper extension is not installed in the database.
        public static let extensionNotInstalled = Self(.extensionNotInstalled)
        /// The connection settings are malformed.
        public static let invalidConfiguration = Self(.invalidConfiguration)
        /// Any other error reported by the server; see `sqlState`.
        public static let server = Self(.server)

        public var description: String { base.rawValue }

        /// The code for a SQLSTATE from the server.
        public init(sqlState: String) {
            switch sqlState {
            case "PKA01": self = .invalidArgument
            case "PKA02": self = .invalidAmount
            case "PKA03": self = .unknownCurrency
            case "PKA04": self = .invalidKind
            case "PKA05": self = .unknownRole
            case "PKA06": self = .invalidCursor
            case "PKN01", "PKN02", "PKN03", "PKN04", "PKN05", "PKN06": self = .notFound
            case "PKS01": self = .poolClosed
            case "PKS02": self = .notAMember
            case "PKS03": self = .alreadyAMember
            case "PKS04": self = .insufficientPosition
            case "PKS05": self = .positionNotZero
            case "PKS06": self = .alreadyReversed
            case "PKS07": self = .notReversible
            case "PKS08": self = .idempotencyConflict
            case "PKS09": self = .immutableLedger
            case "PKS10": self = .roleAlreadyMapped
            case "PKS11": self = .feedAfterWrite
            case "PKS12": self = .noAllocationBasis
            case "PKS13": self = .callExceedsCommitment
            case "PKS14": self = .paymentExceedsObligation
            case "PKS15": self = .obligationOutstanding
            case "42501": self = .permissionDenied
            case "40001": self = .serializationFailure
            case "40P01": self = .deadlockDetected
            case "57P01", "57P02", "57P03": self = .connectionLost  // admin shutdown, crash, cannot connect now
            default: self = .server
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The server's message, or a description of the client-side failure.
    public let message: String
    /// The SQLSTATE the server sent, when the server reported the error.
    public let sqlState: String?

    public init(code: Code, message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    /// Translates any error thrown by PostgresNIO; other errors become `.server`.
    public init(_ error: any Error) {
        if let error = error as? PoolKeeperError {
            self = error
            return
        }
        if let deadline = error as? DeadlineExceeded {
            self.init(code: .connectionLost, message: "no answer from the database: \(deadline)")
            return
        }
        if error is CancellationError {
            self.init(code: .cancelled, message: "the request was cancelled")
            return
        }
        if let poolError = error as? ConnectionPoolError {
            if poolError == .requestCancelled || poolError == .poolShutdown {
                // Not worth retrying: the caller gave up, or the client stopped running.
                self.init(code: .cancelled, message: "no database connection: \(poolError)")
            } else {
                // The pool could not open a connection: the server is down or unreachable.
                self.init(code: .connectionLost, message: "could not get a database connection: \(poolError)")
            }
            return
        }
        guard let psql = error as? PSQLError else {
            self.init(code: .server, message: String(describing: error))
            return
        }
        if let sqlState = psql.serverInfo?[.sqlState] {
            self.init(code: Code(sqlState: sqlState), message: psql.serverInfo?[.message] ?? "", sqlState: sqlState)
            return
        }
        switch psql.code {
        case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
            self.init(code: .connectionLost, message: "connection lost: \(psql.code)")
        default:
            self.init(code: .server, message: String(reflecting: psql))
        }
    }

    /// `.notFound` for a read that found no `what` with that id.
    static func notFound(_ what: String, _ id: Int64) -> PoolKeeperError {
        PoolKeeperError(code: .notFound, message: "no \(what) has id \(id)")
    }

    /// Whether repeating the same request may succeed: a lost connection, a
    /// serialization failure or a deadlock. Repeat only requests that are safe
    /// to repeat, such as posts with an idempotency key.
    public var isTransient: Bool {
        code == .connectionLost || code == .serializationFailure || code == .deadlockDetected
    }

    public var description: String {
        if let sqlState { return "\(code) (\(sqlState)): \(message)" }
        return "\(code): \(message)"
    }
}
