import _ConnectionPoolModule
import PoolKeeper
import Testing

@Suite("PoolKeeperError maps SQLSTATEs")
struct PoolKeeperErrorTests {
    @Test("each documented poolkeeper SQLSTATE has its own code", arguments: [
        ("PKA01", PoolKeeperError.Code.invalidArgument), ("PKA02", .invalidAmount), ("PKA03", .unknownCurrency),
        ("PKA04", .invalidKind), ("PKA05", .unknownRole), ("PKA06", .invalidCursor), ("PKN01", .notFound), ("PKN02", .notFound),
        ("PKN03", .notFound), ("PKN04", .notFound), ("PKN05", .notFound), ("PKN06", .notFound), ("PKS01", .poolClosed), ("PKS02", .notAMember),
        ("PKS03", .alreadyAMember), ("PKS04", .insufficientPosition), ("PKS05", .positionNotZero),
        ("PKS06", .alreadyReversed), ("PKS07", .notReversible), ("PKS08", .idempotencyConflict),
        ("PKS09", .immutableLedger), ("PKS10", .roleAlreadyMapped), ("PKS11", .feedAfterWrite), ("PKS12", .noAllocationBasis),
        ("PKS13", .callExceedsCommitment), ("PKS14", .paymentExceedsObligation), ("PKS15", .obligationOutstanding),
        ("42501", .permissionDenied),
        ("40001", .serializationFailure), ("40P01", .deadlockDetected), ("57P01", .connectionLost),
    ])
    func mapping(sqlState: String, code: PoolKeeperError.Code) {
        #expect(PoolKeeperError.Code(sqlState: sqlState) == code)
    }

    @Test("other SQLSTATEs are server errors")
    func unknown() {
        #expect(PoolKeeperError.Code(sqlState: "XX000") == .server)
        #expect(PoolKeeperError.Code(sqlState: "PKZ99") == .server)
    }

    @Test("only connection loss, serialization failures and deadlocks are transient")
    func transient() {
        #expect(PoolKeeperError(code: .connectionLost, message: "").isTransient)
        #expect(PoolKeeperError(code: .deadlockDetected, message: "").isTransient)
        #expect(PoolKeeperError(code: .serializationFailure, message: "").isTransient)
        #expect(!PoolKeeperError(code: .insufficientPosition, message: "").isTransient)
        #expect(!PoolKeeperError(code: .server, message: "").isTransient)
    }

    @Test("cancellation and a stopped client are .cancelled, never retried; a pool that cannot connect is .connectionLost")
    func cancellation() {
        #expect(PoolKeeperError(CancellationError()).code == .cancelled)
        #expect(PoolKeeperError(ConnectionPoolError.requestCancelled).code == .cancelled)
        #expect(PoolKeeperError(ConnectionPoolError.poolShutdown).code == .cancelled)
        #expect(!PoolKeeperError(ConnectionPoolError.poolShutdown).isTransient)
        #expect(PoolKeeperError(ConnectionPoolError.connectionCreationCircuitBreakerTripped).code == .connectionLost)
    }

    @Test("the description names the code, the SQLSTATE and the message")
    func description() {
        let error = PoolKeeperError(code: .poolClosed, message: "pool 7 is closed", sqlState: "PKS01")
        #expect(error.description == "poolClosed (PKS01): pool 7 is closed")
    }
}
