import Foundation

/// Every `public` or `open` function, initializer and subscript declared in
/// Sources/PoolKeeper, read from the source text, as keys such as
/// `PoolKeeperClient+Posting.swift: PoolKeeperClient.contribute(_:pool:investor:idempotencyKey:occurredAt:metadata:)`:
/// the file, the enclosing type (extension) and the name with its argument labels.
/// The bad-input battery must have an entry for each.
enum PublicAPICatalog {
    /// The library's sources, found from this file's path.
    static var sourceFolder: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PoolKeeper")
    }

    /// The keys of every public declaration under `folder`, sorted.
    static func keys(in folder: URL = sourceFolder) throws -> [String] {
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var keys: [String] = []
        for case let file as URL in files where file.pathExtension == "swift" {
            let source = try String(contentsOf: file, encoding: .utf8)
            keys += declarations(in: source).map { "\(file.lastPathComponent): \($0)" }
        }
        return keys.sorted()
    }

    /// `Type.name(label:label:)` of each public func, init and subscript in `source`.
    static func declarations(in source: String) -> [String] {
        var parser = DeclarationParser(tokens: SwiftTokens.of(SwiftTokens.code(of: source)))
        return parser.run()
    }
}

/// Walks the tokens of one file, keeping a stack of the types it is in.
private struct DeclarationParser {
    let tokens: [String]
    var index = 0
    /// One entry per open brace: the type it opened, or nil for any other block.
    var scopes: [String?] = []
    var pendingType: String?
    var found: [String] = []

    static let typeKeywords: Set<String> = ["struct", "class", "enum", "actor", "protocol", "extension"]
    static let modifiers: Set<String> = ["static", "class", "final", "mutating", "nonmutating", "convenience",
                                         "required", "override", "nonisolated", "dynamic", "public", "open"]

    init(tokens: [String]) { self.tokens = tokens }

    mutating func run() -> [String] {
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case "{": scopes.append(pendingType); pendingType = nil
            case "}": _ = scopes.popLast()
            case _ where Self.typeKeywords.contains(token) && index < tokens.count && isWord(tokens[index]):
                pendingType = dottedName()
            case "public", "open": declaration()
            default: break
            }
        }
        return found
    }

    /// After `public`: the declaration's key, when it is a func, init or subscript.
    private mutating func declaration() {
        var at = index
        while at < tokens.count, Self.modifiers.contains(tokens[at]) { at += 1 }
        guard at < tokens.count, ["func", "init", "subscript"].contains(tokens[at]) else { return }
        let keyword = tokens[at]
        index = at + 1
        var name = keyword
        if keyword == "func" {
            name = ""
            while index < tokens.count, tokens[index] != "(", !(isWord(name) && tokens[index] == "<") {
                name += tokens[index]
                index += 1
            }
        } else if index < tokens.count, tokens[index] == "?" || tokens[index] == "!" {
            name += tokens[index]
            index += 1
        }
        if index < tokens.count, tokens[index] == "<" { skipBalanced(open: "<", close: ">") }
        guard index < tokens.count, tokens[index] == "(" else { return }
        let labels = parameterLabels()
        let qualified = (scopes.compactMap { $0 } + ["\(name)(\(labels.map { "\($0):" }.joined()))"]).joined(separator: ".")
        found.append(qualified)
    }

    /// The argument label of each parameter in the list that starts at `(`.
    private mutating func parameterLabels() -> [String] {
        index += 1
        var depth = 0
        var labels: [String] = []
        var current: [String] = []
        func finish() {
            if let first = current.first, isWord(first) { labels.append(first) }
            current = []
        }
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token {
            case "(", "[", "<": depth += 1
            case ")" where depth == 0: finish(); return labels
            case ")", "]", ">": depth -= 1
            case "," where depth == 0: finish(); continue
            default: break
            }
            current.append(token)
        }
        return labels
    }

    private mutating func skipBalanced(open: String, close: String) {
        var depth = 0
        while index < tokens.count {
            if tokens[index] == open { depth += 1 }
            if tokens[index] == close { depth -= 1 }
            index += 1
            if depth == 0 { return }
        }
    }

    /// `A` or `A.B` at the current token.
    private mutating func dottedName() -> String {
        var name = tokens[index]
        index += 1
        while index + 1 < tokens.count, tokens[index] == ".", isWord(tokens[index + 1]) {
            name += "." + tokens[index + 1]
            index += 2
        }
        return name
    }

    private func isWord(_ token: String) -> Bool {
        token.first.map { $0.isLetter || $0 == "_" } ?? false
    }
}

/// Swift source as tokens: comments dropped, string literals emptied.
enum SwiftTokens {
    /// Words, `->`, and single punctuation characters.
    static func of(_ code: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        var previous: Character = " "
        for character in code {
            if character.isLetter || character.isNumber || character == "_" {
                word.append(character)
            } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                if character == ">" && previous == "-" {
                    tokens[tokens.count - 1] = "->"
                } else if !character.isWhitespace {
                    tokens.append(String(character))
                }
            }
            previous = character
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    /// `source` without comments, each string literal (interpolations
    /// included) replaced by `""`.
    static func code(of source: String) -> String {
        var reader = SourceReader(Array(source))
        return reader.code(until: nil)
    }
}

private struct SourceReader {
    let characters: [Character]
    var index = 0
    init(_ characters: [Character]) { self.characters = characters }

    func peek(_ offset: Int = 0) -> Character? {
        index + offset < characters.count ? characters[index + offset] : nil
    }

    /// Code up to an unbalanced `terminator` (consumed), or to the end.
    mutating func code(until terminator: Character?) -> String {
        var out = ""
        var depth = 0
        while let character = peek() {
            if character == "/", peek(1) == "/" {
                while let next = peek(), next != "\n" { index += 1 }
            } else if character == "/", peek(1) == "*" {
                skipBlockComment()
            } else if character == "\"" {
                skipString()
                out += "\"\""
            } else {
                index += 1
                if character == "(" { depth += 1 }
                if character == ")" {
                    if depth == 0, terminator == ")" { return out }
                    depth -= 1
                }
                out.append(character)
            }
        }
        return out
    }

    private mutating func skipBlockComment() {
        index += 2
        var depth = 1
        while depth > 0, let character = peek() {
            if character == "/", peek(1) == "*" { depth += 1; index += 2 } else if character == "*", peek(1) == "/" {
                depth -= 1; index += 2
            } else { index += 1 }
        }
    }

    /// Skips a `"..."` or `"""..."""` literal, interpolations included.
    private mutating func skipString() {
        let multiline = peek(1) == "\"" && peek(2) == "\""
        index += multiline ? 3 : 1
        while let character = peek() {
            if character == "\\" {
                if peek(1) == "(" {
                    index += 2
                    _ = code(until: ")")
                } else {
                    index += 2
                }
            } else if character == "\"", !multiline || (peek(1) == "\"" && peek(2) == "\"") {
                index += multiline ? 3 : 1
                return
            } else {
                index += 1
            }
        }
    }
}
