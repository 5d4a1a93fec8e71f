import Foundation
import Testing

/// The bad-input battery covers every public declaration: a new public
/// func, init or subscript without an entry in BadInputRegistry fails here,
/// and so does an entry that names no declaration any more. Needs no database.
@Suite struct PublicAPICatalogTests {
    @Test func everyPublicDeclarationHasABadInputEntry() throws {
        let declared = try PublicAPICatalog.keys()
        // The parser must not quietly find nothing: there were 96 when the battery was written.
        #expect(declared.count >= 96, "found only \(declared.count) public declarations")
        #expect(Set(declared).count == declared.count, "two declarations share a key: \(declared)")
        let registered = BadInputRegistry.entries.map(\.0)
        #expect(Set(registered).count == registered.count, "a declaration is registered twice")
        for key in declared where !registered.contains(key) {
            Issue.record("no bad-input entry for public declaration \(key)")
        }
        for key in registered where !declared.contains(key) {
            Issue.record("stale bad-input entry: no public declaration \(key)")
        }
    }

    @Test func parserReadsMultiLineDeclarationsAndIgnoresCommentsAndStrings() {
        let source = """
            /// public func inDocComment(a: Int)
            public struct Outer {
                let text = "public func inString(\\(x)) { "
                public init?(_ text: String) {}
                public static func < (lhs: Self, rhs: Self) -> Bool { true }
                public struct Inner {
                    public mutating func next<T>(of value: T, _ keyPath: KeyPath<T, Int>,
                                                 body: (@Sendable (Int, Int) -> Void)? = nil) async throws -> T? { nil }
                }
                private func hidden(a: Int) {}
                public subscript<V>(dynamicMember keyPath: KeyPath<Int, V>) -> V { fatalError() }
            }
            extension Outer { public func plain() {} }
            """
        #expect(PublicAPICatalog.declarations(in: source) == [
            "Outer.init?(_:)", "Outer.<(lhs:rhs:)", "Outer.Inner.next(of:_:body:)",
            "Outer.subscript(dynamicMember:)", "Outer.plain()",
        ])
    }
}
