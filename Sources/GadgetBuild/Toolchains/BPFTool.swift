import Foundation

/// bpftool, which `--btfgen` runs (`bpftool gen min_core_btf`, as ig's builder does): libbpf's
/// minimiser is bpftool's own code, not part of libbpf's public API, so gadgetc cannot run it in-process.
public struct BPFTool: Codable, Equatable, Sendable {
    public var path: String
    /// From `bpftool version`: bpftool's and its libbpf's versions, e.g. `7.1.0 (libbpf 1.1)`; part of the cache key.
    public var version: String

    /// Where bpftool is: `GADGETC_BPFTOOL`, else the first on PATH or in the sbin folders (Debian puts it
    /// in /usr/sbin, which a user's PATH often lacks).
    public static func locate(environment: [String: String], isExecutable: (String) -> Bool) -> String? {
        if let chosen = environment["GADGETC_BPFTOOL"], !chosen.isEmpty { return isExecutable(chosen) ? chosen : nil }
        let folders = (environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/sbin", "/sbin"]
        return folders.map { "\($0)/bpftool" }.first(where: isExecutable)
    }

    /// `locate` on this host, or the error that says how to get one.
    public static func required(environment: [String: String]) throws -> String {
        guard let path = locate(environment: environment, isExecutable: { FileKind(path: $0) == .regular && access($0, X_OK) == 0 }) else {
            throw BTFGenError.noBPFTool(environment["GADGETC_BPFTOOL"].map { "GADGETC_BPFTOOL=\($0) is not an executable file" } ?? "none on PATH or in /usr/sbin")
        }
        return path
    }

    /// Runs `bpftool version`; nil when it does not answer like bpftool.
    public static func identify(_ path: String, runner: CommandRunning) async -> BPFTool? {
        guard let result = try? await runner.run([path, "version"], workingDirectory: nil), result.succeeded else { return nil }
        guard let version = parseVersion(result.standardOutput) else { return nil }
        return BPFTool(path: path, version: version)
    }

    /// `PATH v7.1.0\nusing libbpf v1.1\n…` (the first line names the program as it was started) → `7.1.0 (libbpf 1.1)`.
    public static func parseVersion(_ output: String) -> String? {
        let lines = output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        guard let first = lines.first, let version = first.last, first.count >= 2, version.hasPrefix("v") else { return nil }
        guard let libbpf = lines.dropFirst().first, libbpf.count == 3, libbpf[1] == "libbpf" else { return String(version.dropFirst()) }
        return "\(version.dropFirst()) (libbpf \(libbpf[2].drop { $0 == "v" }))"
    }

    /// The minimiser's command line: the BTF of one kernel, reduced to what `object`'s CO-RE relocations use.
    public func minimise(kernelBTF: String, into output: String, object: String) -> [String] {
        [path, "gen", "min_core_btf", kernelBTF, output, object]
    }
}

/// The bpftool identities one build found, per toolchain: both arches' btfgen ask, one `bpftool version` answers.
actor BPFToolIdentities {
    private var known: [String: Task<BPFTool, Error>] = [:]

    func identity(_ path: String, on toolchain: StepToolchain, identify: @escaping @Sendable () async throws -> BPFTool) async throws -> BPFTool {
        let key = "\(toolchain.kind.rawValue)\u{0}\(path)"
        if let task = known[key] { return try await task.value }
        let task = Task { try await identify() }
        known[key] = task
        return try await task.value
    }
}
