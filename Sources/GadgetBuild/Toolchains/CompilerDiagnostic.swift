import Foundation

/// One message of a compiler, as `--json` lists it: where, how bad, what. Read from the text the
/// compilers print (what is also shown to the user, so the two never disagree): clang's
/// `FILE:LINE:COL: SEVERITY: MESSAGE [-Wflag]`, Go's `FILE:LINE:COL: MESSAGE` (always an error) and
/// rustc's `SEVERITY[CODE]: MESSAGE` followed by ` --> FILE:LINE:COL`. Source lines, carets and
/// "N warnings generated." are not messages and are skipped.
public struct CompilerDiagnostic: Codable, Equatable, Sendable {
    public enum Severity: String, Codable, Sendable {
        case error, warning, note, remark
        case fatalError = "fatal error"
    }

    public var file: String?
    public var line: Int?
    public var column: Int?
    public var severity: Severity
    public var message: String
    /// The warning option that controls it (`-Wunused-variable`), or rustc's error code (`E0425`).
    public var option: String?
    /// clang's category ("Semantic Issue", "Parse Issue"), from libclang.
    public var category: String?
    /// The source ranges clang underlines, from libclang.
    public var ranges: [SourceRange]?
    /// Edits clang offers to fix it (`expected ';'` → insert `;`), from libclang.
    public var fixIts: [FixIt]?

    /// `file:line:column` to `line:column` (the end is past the last character, as clang counts).
    public struct SourceRange: Codable, Equatable, Sendable {
        public var file: String?
        public var startLine: Int
        public var startColumn: Int
        public var endLine: Int
        public var endColumn: Int
    }

    /// Replace `range` with `replacement` (an empty range inserts, an empty replacement deletes).
    public struct FixIt: Codable, Equatable, Sendable {
        public var range: SourceRange
        public var replacement: String
    }

    public init(file: String?, line: Int?, column: Int?, severity: Severity, message: String, option: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.severity = severity
        self.message = message
        self.option = option
    }

    /// Every message in `text`, in order.
    public static func parse(_ text: String) -> [CompilerDiagnostic] {
        var found: [CompilerDiagnostic] = []
        var pendingRust: CompilerDiagnostic?
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if var rust = pendingRust {
                // rustc names the place on the next " --> " line.
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("--> "), let place = location(String(trimmed.dropFirst(4))) {
                    (rust.file, rust.line, rust.column) = (place.file, place.line, place.column)
                    found.append(rust)
                    pendingRust = nil
                    continue
                }
                found.append(rust)
                pendingRust = nil
            }
            if let message = located(line) {
                found.append(message)
            } else if let rust = rustHeading(line) {
                pendingRust = rust
            }
        }
        if let pendingRust { found.append(pendingRust) }
        return found
    }

    /// `FILE:LINE:COL: [SEVERITY: ]MESSAGE`.
    static func located(_ line: String) -> CompilerDiagnostic? {
        // The place ends at the first ": " after LINE:COL (a path may hold colons, a message too).
        guard let separator = line.range(of: ": ") else { return nil }
        var head = line[..<separator.lowerBound]
        var rest = line[separator.upperBound...]
        var place = location(String(head))
        // A path with ": " in it: try the next separator while the place does not parse.
        while place == nil, let next = rest.range(of: ": ") {
            head = line[..<next.lowerBound]
            rest = rest[next.upperBound...]
            place = location(String(head))
        }
        guard let place else { return nil }
        var severity = Severity.error
        var message = String(rest)
        for candidate in [Severity.fatalError, .error, .warning, .note, .remark] where message.hasPrefix(candidate.rawValue + ": ") {
            severity = candidate
            message = String(message.dropFirst(candidate.rawValue.count + 2))
            break
        }
        var option: String?
        if message.hasSuffix("]"), let open = message.range(of: " [-W", options: .backwards) {
            let inside = message[message.index(open.lowerBound, offsetBy: 2)..<message.index(before: message.endIndex)]
            option = String(inside.split(separator: ",").first ?? inside)
            message = String(message[..<open.lowerBound])
        }
        return CompilerDiagnostic(file: place.file, line: place.line, column: place.column, severity: severity, message: message, option: option)
    }

    /// `FILE:LINE:COL` (or `FILE:LINE`).
    static func location(_ text: String) -> (file: String, line: Int, column: Int?)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return nil }
        if parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]), line > 0 {
            let file = parts.dropLast(2).joined(separator: ":")
            return file.isEmpty || file.contains(" ") && !file.contains("/") ? nil : (file, line, column)
        }
        if let line = Int(parts[parts.count - 1]), line > 0 {
            let file = parts.dropLast().joined(separator: ":")
            return file.isEmpty || file.contains(" ") && !file.contains("/") ? nil : (file, line, nil)
        }
        return nil
    }

    /// rustc's `error[E0425]: MESSAGE` / `warning: MESSAGE` (not its "aborting" summary lines).
    static func rustHeading(_ line: String) -> CompilerDiagnostic? {
        for severity in [Severity.error, .warning] where line.hasPrefix(severity.rawValue) {
            var rest = line.dropFirst(severity.rawValue.count)
            var code: String?
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                code = String(rest[rest.index(after: rest.startIndex)..<close])
                rest = rest[rest.index(after: close)...]
            }
            guard rest.hasPrefix(": ") else { return nil }
            let message = String(rest.dropFirst(2))
            if message.hasPrefix("aborting due to") || message.hasPrefix("could not compile") || message.contains("warning emitted")
                || message.contains("warnings emitted") { return nil }
            return CompilerDiagnostic(file: nil, line: nil, column: nil, severity: severity, message: message, option: code)
        }
        return nil
    }
}
