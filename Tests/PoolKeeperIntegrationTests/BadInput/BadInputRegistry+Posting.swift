import Foundation
import PoolKeeper

extension BadInputRegistry {
    typealias Post = @Sendable (BadInputFixture, Decimal, PoolID, InvestorID, String?, Date?, [String: String]) async throws -> Void

    static let posting: [(String, BadInputEntry)] = [
        ("PoolKeeperClient+Posting.swift: PoolKeeperClient.contribute(_:pool:investor:idempotencyKey:occurredAt:metadata:)",
         .calls(posts { f, amount, pool, investor, key, at, metadata in
             _ = try await f.client.contribute(amount, pool: pool, investor: investor, idempotencyKey: key, occurredAt: at, metadata: metadata)
         })),
        ("PoolKeeperClient+Posting.swift: PoolKeeperClient.withdraw(_:pool:investor:idempotencyKey:occurredAt:metadata:)",
         .calls(posts { f, amount, pool, investor, key, at, metadata in
             _ = try await f.client.withdraw(amount, pool: pool, investor: investor, idempotencyKey: key, occurredAt: at, metadata: metadata)
         } + [.fails("more than the position", .insufficientPosition) { f in
             _ = try await f.client.withdraw(1000, pool: f.pool, investor: f.member)
         }])),
        ("PoolKeeperClient+Posting.swift: PoolKeeperClient.distribute(_:pool:investor:idempotencyKey:occurredAt:metadata:)",
         .calls(posts { f, amount, pool, investor, key, at, metadata in
             _ = try await f.client.distribute(amount, pool: pool, investor: investor, idempotencyKey: key, occurredAt: at, metadata: metadata)
         })),
        ("PoolKeeperClient+Posting.swift: PoolKeeperClient.chargeFee(_:pool:investor:idempotencyKey:occurredAt:metadata:)",
         .calls(posts { f, amount, pool, investor, key, at, metadata in
             _ = try await f.client.chargeFee(amount, pool: pool, investor: investor, idempotencyKey: key, occurredAt: at, metadata: metadata)
         })),
        // LedgerTransaction.Kind is a closed enum: a wrong kind cannot be written in Swift.
        ("PoolKeeperClient+Posting.swift: PoolKeeperClient.post(_:_:pool:investor:idempotencyKey:occurredAt:metadata:)",
         .calls(posts { f, amount, pool, investor, key, at, metadata in
             _ = try await f.client.post(.contribution, amount, pool: pool, investor: investor, idempotencyKey: key,
                                         occurredAt: at, metadata: metadata)
         })),
        // A batch of one bad post; then bad batches, and a bad post behind a good one.
        ("PoolKeeperClient+Batch.swift: PoolKeeperClient.postBatch(_:)",
         .calls(posts { f, amount, pool, investor, key, at, metadata in
             _ = try await f.client.postBatch([PostRequest(.contribution, amount, pool: pool, investor: investor,
                                                           idempotencyKey: key, occurredAt: at, metadata: metadata)])
         } + [.fails("an empty batch", .invalidArgument) { f in _ = try await f.client.postBatch([]) },
              .fails("one post over maximumBatchSize", .invalidArgument) { f in
                  _ = try await f.client.postBatch(Array(repeating: PostRequest(.contribution, 1, pool: f.pool, investor: f.member),
                                                         count: PoolKeeperClient.maximumBatchSize + 1))
              },
              .fails("a good post, then more than the position", .insufficientPosition) { f in
                  _ = try await f.client.postBatch([PostRequest(.contribution, 1, pool: f.pool, investor: f.member),
                                                    PostRequest(.withdrawal, 1000, pool: f.pool, investor: f.member)])
              },
              .fails("a good post, then one at the year 10000", .invalidArgument) { f in
                  _ = try await f.client.postBatch([PostRequest(.contribution, 1, pool: f.pool, investor: f.member),
                                                    PostRequest(.contribution, 1, pool: f.pool, investor: f.member,
                                                                occurredAt: Date(timeIntervalSince1970: 253_402_300_800))])
              }])),
        ("PostRequest.swift: PostRequest.init(_:_:pool:investor:idempotencyKey:occurredAt:metadata:)",
         .noInput("keeps what it is given; postBatch checks it")),
        ("PoolKeeperClient+Posting.swift: PoolKeeperClient.reverse(_:reason:)",
         .calls(each(BadValues.ids, "transaction", .notFound) { f, id in
             _ = try await f.client.reverse(TransactionID(rawValue: id), reason: "bad input")
         } + each(BadValues.names, "reason", .invalidArgument) { f, reason in
             _ = try await f.client.reverse(f.contribution, reason: reason)
         } + [.fails("a reversal", .notReversible) { f in _ = try await f.client.reverse(f.reversal, reason: "bad input") }])),
    ]

    /// The battery of a single post: one bad input at a time, the rest a
    /// good post of 1 USD by a member.
    static func posts(_ post: @escaping Post) -> [BadCall] {
        each(BadValues.amounts, "amount", .invalidAmount) { f, amount in try await post(f, amount, f.pool, f.member, nil, nil, [:]) }
            + [.fails("amount 1.5 in JPY", .invalidAmount) { f in try await post(f, BadValues.jpyAmount, f.jpyPool, f.member, nil, nil, [:]) }]
            + each(BadValues.ids, "pool", .notFound) { f, id in try await post(f, 1, PoolID(rawValue: id), f.member, nil, nil, [:]) }
            + each(BadValues.ids, "investor", .notFound) { f, id in try await post(f, 1, f.pool, InvestorID(rawValue: id), nil, nil, [:]) }
            + [.fails("closed pool", .poolClosed) { f in try await post(f, 1, f.closedPool, f.member, nil, nil, [:]) },
               .fails("not a member", .notAMember) { f in try await post(f, 1, f.pool, f.outsider, nil, nil, [:]) }]
            + each(BadValues.keys, "idempotency key", .invalidArgument) { f, key in try await post(f, 1, f.pool, f.member, key, nil, [:]) }
            + each(BadValues.occurredAts, "occurredAt", .invalidArgument) { f, at in try await post(f, 1, f.pool, f.member, nil, at, [:]) }
            + each(BadValues.metadata, "metadata", .invalidArgument) { f, metadata in
                try await post(f, 1, f.pool, f.member, nil, nil, metadata)
            }
    }
}
