import Foundation

/// A target architecture as ig names it (`amd64`, `arm64`), with the names clang and Debian use for it.
public enum Architecture: String, CaseIterable, Codable, Sendable, Comparable {
    case amd64
    case arm64

    /// The value of `__TARGET_ARCH_*` that libbpf's bpf_tracing.h expects.
    public var targetArchDefine: String {
        switch self {
        case .amd64: "x86"
        case .arm64: "arm64"
        }
    }

    /// Debian's multiarch triple, the folder under /usr/include that holds `asm/`.
    public var multiarchTriple: String {
        switch self {
        case .amd64: "x86_64-linux-gnu"
        case .arm64: "aarch64-linux-gnu"
        }
    }

    /// The folder name BTFHub files this arch's kernels under, also ig's btfgen layer name (`btfs-x86_64.tar.gz`).
    public var btfHubName: String {
        switch self {
        case .amd64: "x86_64"
        case .arm64: "arm64"
        }
    }

    /// The architecture this process runs on.
    public static var host: Architecture? {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return Architecture(machine: machine)
    }

    /// Maps `uname -m` spellings.
    public init?(machine: String) {
        switch machine {
        case "x86_64", "amd64": self = .amd64
        case "aarch64", "arm64": self = .arm64
        default: return nil
        }
    }

    /// Parses `--arch amd64,arm64`.
    public static func parseList(_ text: String) throws -> [Architecture] {
        var result: [Architecture] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let arch = Architecture(rawValue: part) ?? Architecture(machine: part) else {
                throw PlanningError.unknownArchitecture(part)
            }
            if !result.contains(arch) { result.append(arch) }
        }
        guard !result.isEmpty else { throw PlanningError.unknownArchitecture(text) }
        return result.sorted()
    }

    public static func < (lhs: Architecture, rhs: Architecture) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
