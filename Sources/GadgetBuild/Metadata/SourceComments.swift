import Foundation

/// The comments a gadget's C source puts on what gadget.yaml describes: the members of its event
/// structs, its params (`const volatile` globals) and its data source markers. Read with libclang
/// (`Libclang.comments`); plain values here, so that the text rules are testable without it.
public struct SourceComments: Equatable, Sendable {
    /// Struct name → member path, as ig names the field (`proc.comm`: a nested struct's members under the
    /// member's name, an anonymous struct's under its parent's) → the comment's text.
    public var members: [String: [String: String]] = [:]
    /// Global variable (a param's `const volatile` variable, a marker such as `gadget_tracer_open___events___event`)
    /// → the comment's text.
    public var variables: [String: String] = [:]

    public init(members: [String: [String: String]] = [:], variables: [String: String] = [:]) {
        self.members = members
        self.variables = variables
    }

    /// Adds what `other` has and this lacks (a gadget of several sources: the first source wins).
    public mutating func merge(_ other: SourceComments) {
        for (name, paths) in other.members { members[name, default: [:]].merge(paths) { mine, _ in mine } }
        variables.merge(other.variables) { mine, _ in mine }
    }

    /// A comment's text without its markers (`//`, `///<`, `/*`, `/**`, `*/`, the `*` that starts the
    /// lines of a block) and rules, its lines joined with one space; nil when nothing is left.
    public static func clean(_ raw: String) -> String? {
        var words: [String] = []
        for line in raw.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var text = Substring(line).drop { $0 == " " || $0 == "\t" }
            if text.hasPrefix("//") {
                text = text.drop { $0 == "/" }
                if text.hasPrefix("!") { text = text.dropFirst() }
            } else {
                // A block's end first (`**/` is an end, not a line's leading stars), then its start or a line's `*`.
                if let end = text.range(of: "*/", options: .backwards) {
                    text = text[..<end.lowerBound]
                    while text.hasSuffix("*") { text = text.dropLast() }
                }
                if text.hasPrefix("/*") {
                    text = text.dropFirst(2).drop { $0 == "*" }
                    if text.hasPrefix("!") { text = text.dropFirst() }
                } else {
                    text = text.drop { $0 == "*" }
                }
            }
            if text.hasPrefix("<") { text = text.dropFirst() }  // trailing doc comments: `///< …`, `/**< … */`
            words += text.split(whereSeparator: \.isWhitespace).map(String.init)
        }
        // Rules (`=====`) and a section heading set between them (`---- params ----`) say where a part of
        // the file starts, not what the declaration is.
        func isRule(_ word: String) -> Bool { word.count >= 3 && word.allSatisfy { "-=*#~_".contains($0) } }
        if let first = words.first, isRule(first) {
            let end = words.dropFirst().firstIndex(where: isRule) ?? 0
            words.removeSubrange(0...end)
        }
        words.removeAll(where: isRule)
        return words.isEmpty ? nil : words.joined(separator: " ")
    }

    /// The comment on the declaration at 1-based `line` of `lines`, found in the text: one after the
    /// declaration on its own line, else the comment lines right above it. For what clang does not
    /// attach a comment to — declarations a macro makes, such as `GADGET_TRACER(open, events, event);`.
    public static func comment(atLine line: Int, of lines: [Substring]) -> String? {
        guard line >= 1, line <= lines.count else { return nil }
        let own = lines[line - 1]
        if let start = trailingCommentStart(own) { return clean(String(own[start...])) }
        var index = line - 2
        guard index >= 0 else { return nil }
        let above = lines[index].trimmingCharacters(in: .whitespaces)
        if above.hasPrefix("//") {
            var block: [Substring] = []
            while index >= 0, lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                block.insert(lines[index], at: 0)
                index -= 1
            }
            return clean(block.joined(separator: "\n"))
        }
        if above.hasSuffix("*/") {
            var block: [Substring] = []
            while index >= 0 {
                block.insert(lines[index], at: 0)
                let text = lines[index].trimmingCharacters(in: .whitespaces)
                if text.contains("/*") { return text.hasPrefix("/*") ? clean(block.joined(separator: "\n")) : nil }
                index -= 1
            }
        }
        return nil
    }

    /// Where a comment starts after code on `line` (after the last `;` or `)`), if one does.
    static func trailingCommentStart(_ line: Substring) -> Substring.Index? {
        guard let end = line.lastIndex(where: { $0 == ";" || $0 == ")" }) else { return nil }
        let rest = line[line.index(after: end)...]
        guard let start = rest.firstIndex(where: { !$0.isWhitespace }),
              rest[start...].hasPrefix("//") || rest[start...].hasPrefix("/*") else { return nil }
        return start
    }
}

/// New fields', data sources' and params' descriptions from the gadget's C comments; nil (the
/// placeholder) where the source has none.
public struct CommentDescriptions: FieldDescriptionSource {
    public let comments: SourceComments
    /// Data source → its structs (a map iterator's key, then value) and its marker variable.
    let dataSources: [String: (structs: [String], marker: String)]

    public init(comments: SourceComments, object: BPFObjectSummary) {
        self.comments = comments
        var dataSources: [String: (structs: [String], marker: String)] = [:]
        for source in MarkerDataSource.all(in: object).sources { dataSources[source.name] = (source.structs, source.marker) }
        self.dataSources = dataSources
    }

    public func description(of field: DataSourceField, in dataSource: String) -> String? {
        let path: String
        switch field.origin {
        case .member: path = field.path
        // A formatter's string shows the member's value in another form: the member's comment says what it is.
        case .derived: guard let member = field.formattedFrom else { return nil }; path = member
        case .wasm: return nil
        }
        for name in dataSources[dataSource]?.structs ?? [] {
            if let text = comments.members[name]?[path] { return text }
        }
        return nil
    }

    public func description(ofDataSource name: String) -> String? {
        dataSources[name].flatMap { comments.variables[$0.marker] }
    }

    public func description(ofParam variable: String) -> String? {
        comments.variables[variable] ?? comments.variables["gadget_param_" + variable]
    }
}
