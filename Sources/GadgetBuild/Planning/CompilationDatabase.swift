import Foundation

/// A JSON compilation database (clang's `compile_commands.json`) made from a build plan, so that
/// clangd and other clang tools parse a gadget's sources with the flags gadgetc compiles them with:
/// the same clang, `-target bpf`, `__TARGET_ARCH_<x>`, and the include folders that resolve
/// `<vmlinux.h>`, `<gadget/…>` and `<bpf/…>`.
///
/// One entry per (source, arch) that builds natively; the host's arch comes first because clangd
/// (like most tools) uses the first entry it finds for a file. Each command is the planned one with
/// three things changed, each for an editor's sake:
/// - no `-include-pch`: a precompiled header is only valid for the clang that wrote it (clangd-16 fails
///   on one from clang 21), and it lives in gadgetc's cache, which may be pruned;
/// - no `-MD -MF`: the depfile goes into a build's temporary work folder;
/// - `-o` names an object in the gadget folder (`<arch>.bpf.o` as ig names it, `<stem>.<arch>.bpf.o`
///   for further sources) rather than the temporary work folder, so that the command runs as it is.
/// Compiles planned in the builder container get no entry: their paths (/work, /out) are the container's.
public struct CompilationDatabase: Equatable, Sendable {
    public struct Entry: Encodable, Equatable, Sendable {
        /// The gadget folder: the compile's working directory.
        public var directory: String
        /// The source, as an absolute path.
        public var file: String
        public var arguments: [String]
        /// The object `-o` names, relative to `directory`.
        public var output: String
        /// Which arch the command is for; not written: clang's reader rejects keys it does not know.
        public var arch: Architecture

        enum CodingKeys: String, CodingKey { case directory, file, arguments, output }
    }

    public var entries: [Entry]
    /// Arches the plan builds in the builder container, which have no entry.
    public var containerArchitectures: [Architecture]

    public init(entries: [Entry], containerArchitectures: [Architecture] = []) {
        self.entries = entries
        self.containerArchitectures = containerArchitectures
    }

    /// The entries of `plan`'s native compiles, sources in plan order, `hostArchitecture` first for each.
    public init(plan: BuildPlan, hostArchitecture: Architecture) {
        var bySource: [(source: String, entries: [Entry])] = []
        for job in plan.jobs(.compile) where job.toolchain == .native {
            guard let invocation = job.clang, let source = invocation.source, let directory = job.workingDirectory else { continue }
            let entry = Self.entry(invocation, source: source, directory: directory, index: bySource.firstIndex { $0.source == source } ?? bySource.count)
            if let index = bySource.firstIndex(where: { $0.source == source }) {
                bySource[index].entries.append(entry)
            } else {
                bySource.append((source, [entry]))
            }
        }
        entries = bySource.flatMap { group in
            group.entries.filter { $0.arch == hostArchitecture } + group.entries.filter { $0.arch != hostArchitecture }
        }
        containerArchitectures = plan.toolchains.filter { $0.toolchain == .container }.map(\.arch)
    }

    /// The editor's form of one planned compile (see the type's comment).
    static func entry(_ planned: ClangInvocation, source: String, directory: String, index: Int) -> Entry {
        var invocation = planned
        invocation.precompiledHeader = nil
        invocation.depfile = nil
        let stem = URL(fileURLWithPath: source).lastPathComponent.replacingOccurrences(of: ".bpf.c", with: "").replacingOccurrences(of: ".c", with: "")
        let output = index == 0 ? "\(planned.arch).bpf.o" : "\(stem).\(planned.arch).bpf.o"
        invocation.output = output
        let file = source.hasPrefix("/") ? source : URL(fileURLWithPath: directory).appendingPathComponent(source).standardizedFileURL.path
        return Entry(directory: directory, file: file, arguments: invocation.arguments, output: output, arch: planned.arch)
    }

    /// The database as clang reads it: a JSON array, keys sorted, slashes unescaped, a final newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(entries) + Data("\n".utf8)
    }

    /// Several gadgets' databases as one (`-o FILE` with several folders).
    public static func merged(_ databases: [CompilationDatabase]) -> CompilationDatabase {
        CompilationDatabase(entries: databases.flatMap(\.entries), containerArchitectures: [])
    }
}
