import Foundation

/// Reads the Makefile-style dependency file clang writes with `-MD -MF`: every file the compile read.
public enum Depfile {
    /// The prerequisites of the first rule, as absolute paths (relative ones resolved against `directory`).
    public static func dependencies(_ text: String, relativeTo directory: String) -> [String] {
        guard let colon = ruleColon(in: text) else { return [] }
        var paths: [String] = []
        var current = ""
        var iterator = text[text.index(after: colon)...].makeIterator()
        func flush() {
            if !current.isEmpty { paths.append(current) }
            current = ""
        }
        while let character = iterator.next() {
            switch character {
            case "\\":
                guard let next = iterator.next() else { break }
                if next == "\n" || next == "\r\n" { flush() } else if next == " " || next == "#" || next == "\\" { current.append(next) } else { current.append("\\"); current.append(next) }
            case " ", "\t", "\n", "\r\n":
                flush()
            case "$":
                if let next = iterator.next() { current.append(next == "$" ? "$" : next) }
            default:
                current.append(character)
            }
        }
        flush()
        var seen = Set<String>()
        return paths.map { URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path }
            .filter { seen.insert($0).inserted }
    }

    /// The ":" that ends the target list (skipping escaped characters in the target's name).
    static func ruleColon(in text: String) -> String.Index? {
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "\\" {
                index = text.index(after: index)
                if index < text.endIndex { index = text.index(after: index) }
                continue
            }
            if character == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " || text[next] == "\n" || text[next] == "\t" { return index }
            }
            index = text.index(after: index)
        }
        return nil
    }
}
