import Foundation

/// A report as columns and rows of text, printed as an aligned table, JSON
/// (an array of objects; amounts as strings so that no reader turns them
/// into floating point) or CSV (RFC 4180).
struct ReportTable {
    enum Format: String, CaseIterable {
        case table, json, csv
    }

    /// How a column's values are written in JSON, and aligned in a table.
    enum Kind {
        /// A JSON object in JSON output, text elsewhere.
        case text, integer, amount, object
    }

    struct Column {
        let name: String
        let kind: Kind
    }

    let columns: [Column]
    /// nil: NULL (empty in a table and CSV, null in JSON).
    var rows: [[String?]] = []

    init(_ columns: [(String, Kind)]) {
        self.columns = columns.map { Column(name: $0.0, kind: $0.1) }
    }

    /// The same table with only the columns named, in that order.
    func selecting(_ names: [String]) -> ReportTable {
        let indices = names.map { name in
            guard let index = columns.firstIndex(where: { $0.name == name }) else { preconditionFailure("no column \(name)") }
            return index
        }
        var table = ReportTable(indices.map { (columns[$0].name, columns[$0].kind) })
        table.rows = rows.map { row in indices.map { row[$0] } }
        return table
    }

    mutating func append(_ row: [String?]) {
        precondition(row.count == columns.count, "a report row has one value per column")
        rows.append(row)
    }

    func render(_ format: Format) -> String {
        switch format {
        case .table: table()
        case .json: json()
        case .csv: csv()
        }
    }

    private func table() -> String {
        let rows = rows.map { row in row.indices.map { i in columns[i].kind == .amount ? row[i].map { padded($0, to: decimals(i)) } : row[i] } }
        let widths = columns.indices.map { i in rows.reduce(columns[i].name.count) { max($0, ($1[i] ?? "").count) } }
        func line(_ cells: [String]) -> String {
            cells.indices.map { i in
                let pad = String(repeating: " ", count: widths[i] - cells[i].count)
                return columns[i].kind == .text ? cells[i] + pad : pad + cells[i]
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        var out = [line(columns.map(\.name)), line(widths.map { String(repeating: "-", count: $0) })]
        out += rows.map { line($0.map { $0 ?? "" }) }
        out.append("(\(rows.count) \(rows.count == 1 ? "row" : "rows"))")
        return out.joined(separator: "\n")
    }

    /// The most decimals any value of amount column `i` has, so that a table lines its points up.
    private func decimals(_ i: Int) -> Int {
        rows.reduce(0) { most, row in max(most, row[i].flatMap { $0.split(separator: ".", maxSplits: 1).dropFirst().first?.count } ?? 0) }
    }

    /// `amount` with zeros appended to `decimals` decimals (the value is unchanged).
    private func padded(_ amount: String, to decimals: Int) -> String {
        guard decimals > 0 else { return amount }
        let have = amount.split(separator: ".", maxSplits: 1).dropFirst().first?.count ?? 0
        return amount + (have == 0 ? "." : "") + String(repeating: "0", count: decimals - have)
    }

    private func json() -> String {
        let objects = rows.map { row in
            "{" + columns.indices.map { i in
                let value: String = switch (row[i], columns[i].kind) {
                case (nil, _): "null"
                case (let v?, .integer), (let v?, .object): v
                case (let v?, _): AlertLine.quoted(v)
                }
                return AlertLine.quoted(columns[i].name) + ":" + value
            }.joined(separator: ",") + "}"
        }
        return "[" + objects.joined(separator: ",\n ") + "]"
    }

    private func csv() -> String {
        func field(_ value: String?) -> String {
            guard let value else { return "" }
            guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return ([columns.map(\.name).map(field).joined(separator: ",")]
                + rows.map { $0.map(field).joined(separator: ",") }).joined(separator: "\n")
    }
}
