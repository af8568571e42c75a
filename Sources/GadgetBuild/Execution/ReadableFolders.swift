import Foundation

/// The folders a native compile may read, as ig's builder container would let it: the gadget folder,
/// the include folders (-I, gadget headers, gadgetc's libbpf overlay, vmlinux.h's folder, the
/// system's) and the compiler's own installation. A compile that read anything else (`#include
/// "/etc/shadow"`, a header linked to a file elsewhere) fails, and clang's messages about such a file
/// are shown without its content.
public struct ReadableFolders: Codable, Sendable, Equatable {
    /// Resolved folder paths, each ending in "/".
    public var folders: [String]

    public init(_ folders: [String]) {
        self.folders = Array(Set(folders.filter { !$0.isEmpty }.map { Self.resolved($0) + "/" }
            .map { $0.replacingOccurrences(of: "//", with: "/") })).sorted()
    }

    /// Whether `path` (relative ones against `directory`), with its links followed, is in one of the folders.
    public func allows(_ path: String, relativeTo directory: String?) -> Bool {
        let absolute = path.hasPrefix("/") ? path : "\(directory ?? "/")/\(path)"
        let real = Self.resolved(absolute)
        return folders.contains { real.hasPrefix($0) }
    }

    /// The first of `paths` that is outside every folder, named as read and, when a link led there, with
    /// where it leads.
    public func firstOutside(_ paths: [String], relativeTo directory: String?) -> String? {
        guard let path = paths.first(where: { !allows($0, relativeTo: directory) }) else { return nil }
        let absolute = path.hasPrefix("/") ? path : "\(directory ?? "/")/\(path)"
        let real = Self.resolved(absolute)
        return real == URL(fileURLWithPath: absolute).standardizedFileURL.path ? real : "\(absolute) (a link to \(real))"
    }

    /// clang's messages with every diagnostic about a file outside the folders reduced to its
    /// location and severity: the message and the source lines under it could quote the file.
    public func redacting(_ diagnostics: String, relativeTo directory: String?) -> String {
        var kept: [Substring] = []
        var hiding = false
        for line in diagnostics.split(separator: "\n", omittingEmptySubsequences: false) {
            if let (path, rest) = Self.diagnosticHeader(line) {
                hiding = !allows(path, relativeTo: directory)
                if hiding {
                    let severity = ["fatal error", "error", "warning", "note"].first { rest.contains(": \($0):") || rest.hasPrefix("\($0):") } ?? "message"
                    let location = line.prefix(path.count + 1 + rest.prefix { $0 != " " }.count)
                    kept.append("\(location) \(severity): (not shown: \(path) is outside the gadget folder and the include folders)")
                    continue
                }
            } else if line.hasPrefix("In file included from ") || line.hasPrefix("                 from ") {
                hiding = false
            }
            if !hiding { kept.append(line) }
        }
        return kept.joined(separator: "\n")
    }

    /// `PATH:LINE:COL: severity: …` → (PATH, "LINE:COL: severity: …").
    static func diagnosticHeader(_ line: Substring) -> (String, Substring)? {
        for severity in [": fatal error: ", ": error: ", ": warning: ", ": note: "] {
            guard let marker = line.range(of: severity) else { continue }
            // What precedes the severity is PATH:LINE:COL.
            let location = line[..<marker.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
            guard location.count >= 3, location.suffix(2).allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { continue }
            let path = location.dropLast(2).joined(separator: ":")
            guard !path.isEmpty else { continue }
            return (path, line.dropFirst(path.utf8.count + 1))
        }
        return nil
    }

    static func resolved(_ path: String) -> String { ResolvedPath(path).path }
}
