import Foundation

/// `-I DIR` values that cannot add headers: empty, missing, or not a folder. Each gets a warning (the
/// build goes on: clang ignores such folders, but a typo in a header path should not go unnoticed).
public enum IncludeDirectoryCheck {
    /// One warning per bad value, in order.
    public static func warnings(_ directories: [String]) -> [String] {
        directories.compactMap { directory in
            if directory.isEmpty { return "-I '' names no folder; it is ignored" }
            switch FileKind(path: directory) {
            case .directory: return nil
            case .missing: return "-I \(directory): no such folder; no headers are found there (check the path)"
            case let kind: return "-I \(directory) is \(kind.phrase), not a folder; no headers are found there (pass the folder that holds the headers)"
            }
        }
    }

    /// The values that are passed on: all but empty ones (an empty -I would otherwise mean the working folder).
    public static func usable(_ directories: [String]) -> [String] {
        directories.filter { !$0.isEmpty }
    }
}
