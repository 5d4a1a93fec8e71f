import Foundation
import PoolKeeper
import PoolKeeperTestSupport

/// One client of the Swift library running a seeded mix of every operation
/// until the deadline: posts of each kind (half under an idempotency key),
/// keyed retries of earlier posts, reversals, capital calls and their
/// payments, distributions, members joining and leaving, and rule changes.
struct LibraryWorker: Sendable {
    let index: Int
    let client: PoolKeeperClient
    let world: StressWorld
    let journal: Journal
    let watchdog: Watchdog
    let seed: UInt64

    func run(until deadline: ContinuousClock.Instant) async {
        var random = SeededGenerator(seed: seed)
        var keyed: [(key: String, kind: LedgerTransaction.Kind, amount: Decimal, pool: PoolID, investor: InvestorID)] = []
        var reversible: [TransactionID] = []
        var serial = 0
        while ContinuousClock.now < deadline {
            serial += 1
            let pool = world.pick(using: &random)
            let investor = pool.members[Int.random(in: 0..<pool.members.count, using: &random)]
            let roll = Int.random(in: 0..<100, using: &random)
            await watchdog.begin(index, "operation \(serial) (roll \(roll))")
            switch roll {
            case 0..<62:  // a post of some kind, keyed half of the time
                let (kind, amount): (LedgerTransaction.Kind, Decimal) = switch Int.random(in: 0..<20, using: &random) {
                case 0..<11: (.contribution, randomAmount(1, 1000, using: &random))
                case 11..<16: (.withdrawal, randomAmount(1, 400, using: &random))
                case 16..<18: (.fee, randomAmount(0, 10, using: &random) + 0.01)
                default: (.distribution, randomAmount(1, 200, using: &random))
                }
                let key = Bool.random(using: &random) ? "lib-\(seed)-\(index)-\(serial)" : nil
                if let id = await post(kind, amount, pool: pool.id, investor: investor, key: key, until: deadline) {
                    reversible.append(id)
                    if let key { keyed.append((key, kind, amount, pool.id, investor)) }
                }
            case 62..<72 where !keyed.isEmpty:  // the same keyed request again: the same row, nothing new
                let earlier = keyed[Int.random(in: 0..<keyed.count, using: &random)]
                _ = await post(earlier.kind, earlier.amount, pool: earlier.pool, investor: earlier.investor, key: earlier.key,
                               until: deadline, what: "keyed retry")
            case 72..<80 where !reversible.isEmpty:
                let row = reversible.remove(at: Int.random(in: 0..<reversible.count, using: &random))
                do {
                    let reversal = try await client.reverse(row, reason: "stress")
                    await journal.acknowledge("reversal", row: reversal.rawValue)
                } catch { await journal.failed("reversal", error) }
            case 80..<84:
                await capitalCall(in: world.cold[Int.random(in: 0..<world.cold.count, using: &random)],
                                  total: randomAmount(100, 2000, using: &random), serial: serial)
            case 84..<88:
                await distribution(to: world.pick(using: &random), total: randomAmount(1, 500, using: &random), serial: serial,
                                   until: deadline)
            case 88..<94:
                await memberComesAndGoes(world.cold[Int.random(in: 0..<world.cold.count, using: &random)], serial: serial,
                                         amount: randomAmount(1, 100, using: &random))
            case 94..<100:
                let target = world.cold[Int.random(in: 0..<world.cold.count, using: &random)].id
                do {
                    if Bool.random(using: &random) {
                        try await client.setAlertRule(AlertRule(largeTransactionThreshold: randomAmount(300, 2000, using: &random)),
                                                      for: target)
                        await journal.acknowledge("rule set")
                    } else {
                        _ = try await client.dropAlertRule(for: target)
                        await journal.acknowledge("rule dropped")
                    }
                } catch { await journal.failed("rule change", error, mayHaveWritten: 0) }
            default:
                continue
            }
        }
        await watchdog.end(index)
    }

    /// Posts once; a keyed post whose answer was lost is sent again, with
    /// the same key, until it is answered (the key makes that safe).
    func post(_ kind: LedgerTransaction.Kind, _ amount: Decimal, pool: PoolID, investor: InvestorID, key: String?,
              until deadline: ContinuousClock.Instant, what: String? = nil) async -> TransactionID? {
        let what = what ?? "post \(kind.rawValue)"
        let giveUp = deadline + .seconds(60)
        while true {
            do {
                let id = try await client.post(kind, amount, pool: pool, investor: investor, idempotencyKey: key)
                await journal.acknowledge(what, row: id.rawValue, key: key)
                return id
            } catch {
                guard key != nil, case .lostAnswer = StressOutcome(error), ContinuousClock.now < giveUp else {
                    await journal.failed(what, error)
                    return nil
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// A keyed distribution to a pool's members, repeated under its key after
    /// a lost answer or a 40001 (a member's first post during it, which
    /// distribute refuses rather than risk a deadlock).
    func distribution(to pool: StressWorld.Pool, total: Decimal, serial: Int, until deadline: ContinuousClock.Instant) async {
        let giveUp = deadline + .seconds(60)
        while true {
            do {
                let operation = try await client.distribute(total, toMembersOf: pool.id, idempotencyKey: "dist-\(seed)-\(index)-\(serial)")
                await journal.acknowledge("distribution to members", operation: operation.rawValue)
                return
            } catch {
                let retry = error.code == .serializationFailure || { if case .lostAnswer = StressOutcome(error) { true } else { false } }()
                guard retry, ContinuousClock.now < giveUp else {
                    await journal.failed("distribution to members", error, mayHaveWritten: pool.members.count + 2)
                    return
                }
                if error.code == .serializationFailure { await journal.acknowledge("distribution retried after 40001") }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// A capital call on a cold pool, then a payment by each member.
    func capitalCall(in pool: StressWorld.Pool, total: Decimal, serial: Int) async {
        let call: OperationID
        do {
            call = try await client.callCapital(total, pool: pool.id, dueDate: .today, idempotencyKey: "call-\(seed)-\(index)-\(serial)")
            await journal.acknowledge("capital call", operation: call.rawValue)
        } catch {
            await journal.failed("capital call", error, mayHaveWritten: 0)
            return
        }
        for investor in pool.members {
            do {
                let row = try await client.payCapitalCall(call, investor: investor)
                await journal.acknowledge("capital call payment", row: row.rawValue)
            } catch where error.code == .notFound {
                continue  // no obligation: a member who joined after the call, or one with no commitment
            } catch { await journal.failed("capital call payment", error) }
        }
    }

    /// A new investor joins a cold pool, puts money in and takes it out, and leaves.
    func memberComesAndGoes(_ pool: StressWorld.Pool, serial: Int, amount: Decimal) async {
        do {
            let investor = try await client.createInvestor(name: "passing investor \(seed)-\(index)-\(serial)")
            try await client.addInvestor(investor, to: pool.id)
            await journal.acknowledge("member added")
            let contribution = try await client.contribute(amount, pool: pool.id, investor: investor)
            await journal.acknowledge("post contribution", row: contribution.rawValue)
            let withdrawal = try await client.withdraw(amount, pool: pool.id, investor: investor)
            await journal.acknowledge("post withdrawal", row: withdrawal.rawValue)
            try await client.removeInvestor(investor, from: pool.id)
            await journal.acknowledge("member removed")
        } catch {
            await journal.failed("member change", error)
        }
    }
}
