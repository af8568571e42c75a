import Foundation

/// A clang driver found on the host, as identified by running it.
public struct ClangCompiler: Codable, Hashable, Sendable {
    public var path: String
    /// The full first line of `clang --version`.
    public var versionLine: String
    /// "16.0.6"
    public var version: String
    public var major: Int
    /// Whether `-print-targets` lists the BPF backend.
    public var hasBPFTarget: Bool
    /// True when only its file name vouches for it (`clang-16`): a first build compiles with it while it is
    /// identified beside the compiles, and starts over with a fresh probe if the name misled.
    public var provisional: Bool?
    /// (size, mtime, inode) of the binary the path leads to: with the path, the compiler's identity.
    public var binaryFingerprint: String?

    public var isProvisional: Bool { provisional == true }

    /// A compiler known by its name only: major version from the name, BPF target assumed.
    static func named(_ path: String, major: Int, fingerprint: String?) -> ClangCompiler {
        ClangCompiler(path: path, versionLine: "", version: "\(major)", major: major, hasBPFTarget: true, provisional: true,
                      binaryFingerprint: fingerprint)
    }

    func withFingerprint(_ fingerprint: String?) -> ClangCompiler {
        var compiler = self
        compiler.binaryFingerprint = fingerprint
        return compiler
    }

    /// Whether an identified compiler is the one a provisional entry stood for.
    public func confirms(_ provisional: ClangCompiler) -> Bool {
        path == provisional.path && major == provisional.major && hasBPFTarget && binaryFingerprint == provisional.binaryFingerprint
    }

    /// The cache-key identity of the compiler: where it is and exactly which binary it is (as ccache's
    /// default compiler check: a new build of clang is a new file), known before clang ever runs, so a
    /// first build can look up and fill the cache with a compiler it has not identified yet.
    public var identity: String { "\(path) \(binaryFingerprint ?? versionLine)" }

    /// Parses `clang --version` output; nil when it is not clang's.
    public static func parseVersion(_ output: String) -> (line: String, version: String, major: Int)? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains("clang version ") }) else { return nil }
        let afterMarker = line.components(separatedBy: "clang version ").last ?? ""
        let version = String(afterMarker.prefix { $0.isNumber || $0 == "." })
        guard let major = version.split(separator: ".").first.flatMap({ Int($0) }) else { return nil }
        return (String(line), version, major)
    }

    /// Whether `clang -print-targets` output lists `bpf`.
    public static func listsBPF(_ printTargets: String) -> Bool {
        printTargets.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("bpf ") }
    }
}

/// Finds the clang drivers of a host and picks the one to build with.
public struct ClangLocator: Sendable {
    /// The builder image's clang major version: the verifier sees different code from other versions.
    public static let builderClangMajor = 18

    let host: HostSystem
    let cache: CacheLocation?

    public init(host: HostSystem, cache: CacheLocation?) {
        self.host = host
        self.cache = cache
    }

    /// Candidate paths in the order they are considered: `$GADGETC_CLANG` alone when set; else `clang`
    /// and `clang-N` on PATH, Debian's /usr/lib/llvm-N/bin/clang, and the clang beside `swiftc`.
    public func candidatePaths() -> [String] {
        if let override = host.environment["GADGETC_CLANG"], !override.isEmpty {
            return [override.contains("/") ? override : (lookUp(override) ?? override)]
        }
        var found: [String] = []
        let pathDirs = (host.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for dir in pathDirs where !dir.isEmpty {
            let names = host.listDirectory(dir).filter(Self.isClangName).sorted { Self.nameOrder($0) < Self.nameOrder($1) }
            found += names.map { "\(dir)/\($0)" }.filter(host.isExecutableFile)
        }
        for llvm in host.listDirectory("/usr/lib").filter({ $0.hasPrefix("llvm-") }).sorted() {
            let path = "/usr/lib/\(llvm)/bin/clang"
            if host.isExecutableFile(path) { found.append(path) }
        }
        if let swiftc = lookUp("swiftc") {
            let beside = URL(fileURLWithPath: host.realPath(swiftc)).deletingLastPathComponent().appendingPathComponent("clang").path
            if host.isExecutableFile(beside) { found.append(beside) }
        }
        // Keep the first path of each real binary.
        var seen = Set<String>()
        return found.filter { seen.insert(host.realPath($0)).inserted }
    }

    /// Identifies every candidate (from the cache when the binary has not changed); the ones not
    /// cached are run in parallel.
    public func discover() async -> [ClangCompiler] {
        let paths = candidatePaths()
        var known = loadCache()
        let fingerprints = paths.map { host.fingerprint(host.realPath($0)) }
        let identified = await withTaskGroup(of: (Int, ClangCompiler?).self) { group in
            for (index, path) in paths.enumerated() {
                if let fingerprint = fingerprints[index], let hit = known[path], hit.fingerprint == fingerprint { continue }
                group.addTask { (index, await identify(path)) }
            }
            var found: [Int: ClangCompiler] = [:]
            for await (index, compiler) in group { if let compiler { found[index] = compiler } }
            return found
        }
        var results: [ClangCompiler] = []
        for (index, path) in paths.enumerated() {
            if let compiler = identified[index] {
                results.append(compiler)
                if let fingerprint = fingerprints[index] { known[path] = CachedCompiler(fingerprint: fingerprint, compiler: compiler) }
            } else if let fingerprint = fingerprints[index], let hit = known[path], hit.fingerprint == fingerprint {
                results.append(hit.compiler.withFingerprint(fingerprint))
            }
        }
        if !identified.isEmpty { saveCache(known) }
        return results
    }

    /// Picks the compiler a build uses while running as few clangs as possible: candidates are taken
    /// in order of their version as the name tells it (`clang-16`, `/usr/lib/llvm-16/…`), nearest the
    /// builder's first, and only they are run (to learn their exact version and verify the BPF
    /// target) until one qualifies. `doctor` uses `discover()`, which runs every candidate.
    ///
    /// With `provisionally`, the nearest candidate whose name gives its version is taken without running
    /// it (`ClangCompiler.named`); the caller identifies it with `identifyAndRemember` beside its compiles.
    public func chooseForBuild(provisionally: Bool = false) async -> (compilers: [ClangCompiler], chosen: (ClangCompiler, String)?) {
        let overridden = !(host.environment["GADGETC_CLANG"] ?? "").isEmpty
        var known = loadCache()
        var identified: [ClangCompiler] = []
        var changed = false
        // (path, major if known without running it)
        var pending: [(path: String, major: Int?)] = candidatePaths().map { path in
            let fingerprint = host.fingerprint(host.realPath(path))
            if let hit = known[path], hit.fingerprint == fingerprint { return (path, hit.compiler.major) }
            return (path, Self.inferredMajor(path) ?? Self.inferredMajor(host.realPath(path)))
        }
        let others = pending.compactMap(\.major)
        while !pending.isEmpty {
            // Unknown versions first (any may be the nearest), then by distance, older on a tie.
            let index = pending.indices.min { a, b in
                let (ma, mb) = (pending[a].major, pending[b].major)
                guard let ma else { return mb != nil || a < b }
                guard let mb else { return false }
                let (da, db) = (abs(ma - Self.builderClangMajor), abs(mb - Self.builderClangMajor))
                return da != db ? da < db : (ma != mb ? ma < mb : a < b)
            }!
            let candidate = pending.remove(at: index)
            let fingerprint = host.fingerprint(host.realPath(candidate.path))
            var compiler: ClangCompiler?
            if let hit = known[candidate.path], hit.fingerprint == fingerprint {
                compiler = hit.compiler.withFingerprint(fingerprint)
            } else if provisionally, !overridden, let major = candidate.major {
                compiler = ClangCompiler.named(candidate.path, major: major, fingerprint: fingerprint)
            } else if let found = await identify(candidate.path) {
                compiler = found
                if let fingerprint { known[candidate.path] = CachedCompiler(fingerprint: fingerprint, compiler: found); changed = true }
            }
            guard let compiler else { continue }
            if candidate.major != nil, compiler.major != candidate.major, !pending.isEmpty {
                // The name misled: put it back with its real version.
                pending.append((candidate.path, compiler.major))
                continue
            }
            identified.append(compiler)
            if compiler.hasBPFTarget {
                if changed { saveCache(known) }
                if overridden { return (identified, (compiler, "set by GADGETC_CLANG")) }
                let reason = Self.reason(for: compiler, othersFound: others.filter { $0 != compiler.major })
                return (identified, (compiler, reason))
            }
        }
        if changed { saveCache(known) }
        return (identified, nil)
    }

    /// Why `compiler` was picked, naming the other versions found.
    static func reason(for compiler: ClangCompiler, othersFound: [Int]) -> String {
        let others = Array(Set(othersFound)).sorted().map { "clang \($0)" }
        let also = others.isEmpty ? "" : " (also found: \(others.joined(separator: ", ")))"
        return compiler.major == builderClangMajor
            ? "same major version as the builder image's clang \(builderClangMajor)\(also)"
            : "nearest to the builder image's clang \(builderClangMajor)\(also); set GADGETC_CLANG to choose another"
    }

    /// "clang-16", "/usr/lib/llvm-16/bin/clang" → 16.
    static func inferredMajor(_ path: String) -> Int? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        if name.hasPrefix("clang-"), let major = Int(name.dropFirst(6)) { return major }
        for component in path.split(separator: "/") where component.hasPrefix("llvm-") {
            if let major = Int(component.dropFirst(5)) { return major }
        }
        return nil
    }

    /// Identifies a compiler chosen provisionally and remembers it for later probes.
    public func identifyAndRemember(_ path: String) async -> ClangCompiler? {
        guard let compiler = await identify(path) else { return nil }
        if let fingerprint = host.fingerprint(host.realPath(path)) {
            var known = loadCache()
            known[path] = CachedCompiler(fingerprint: fingerprint, compiler: compiler)
            saveCache(known)
        }
        return compiler
    }

    /// Runs the candidate once: `-v -print-targets` prints the version line on stderr and the
    /// registered backends (BPF among them, or not) on stdout. One process instead of two saves a
    /// clang start (~20 ms of CPU) on every first build.
    public func identify(_ path: String) async -> ClangCompiler? {
        guard let run = await host.run([path, "-v", "-print-targets"]), run.succeeded,
              let parsed = ClangCompiler.parseVersion(run.standardError) ?? ClangCompiler.parseVersion(run.standardOutput)
        else { return nil }
        return ClangCompiler(
            path: path, versionLine: parsed.line, version: parsed.version, major: parsed.major,
            hasBPFTarget: ClangCompiler.listsBPF(run.standardOutput), binaryFingerprint: host.fingerprint(host.realPath(path)))
    }

    /// The compiler to use, and why. With `$GADGETC_CLANG`, that one or none.
    public static func choose(from compilers: [ClangCompiler], overridden: Bool) -> (ClangCompiler, String)? {
        let usable = compilers.filter(\.hasBPFTarget)
        if overridden {
            return usable.first.map { ($0, "set by GADGETC_CLANG") }
        }
        guard let best = usable.enumerated().min(by: { a, b in
            let da = abs(a.element.major - builderClangMajor), db = abs(b.element.major - builderClangMajor)
            if da != db { return da < db }
            if a.element.major != b.element.major { return a.element.major < b.element.major }  // older on a tie
            return a.offset < b.offset
        })?.element else { return nil }
        let reason = Self.reason(for: best, othersFound: usable.filter { $0 != best }.map(\.major))
        return (best, reason)
    }

    static func isClangName(_ name: String) -> Bool {
        if name == "clang" { return true }
        guard name.hasPrefix("clang-") else { return false }
        let suffix = name.dropFirst("clang-".count)
        return !suffix.isEmpty && suffix.allSatisfy(\.isNumber)
    }

    static func nameOrder(_ name: String) -> Int { name == "clang" ? 0 : Int(name.dropFirst(6)) ?? 0 }

    func lookUp(_ name: String) -> String? {
        for dir in (host.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if host.isExecutableFile(path) { return path }
        }
        return nil
    }

    struct CachedCompiler: Codable {
        var fingerprint: String
        var compiler: ClangCompiler
    }

    var cacheFile: URL? { cache?.folder("probe").appendingPathComponent("compilers.json") }

    func loadCache() -> [String: CachedCompiler] {
        guard let file = cacheFile, let data = try? Data(contentsOf: file),
              let decoded = try? JSONDecoder().decode([String: CachedCompiler].self, from: data) else { return [:] }
        return decoded
    }

    func saveCache(_ entries: [String: CachedCompiler]) {
        guard let cache, let file = cacheFile, (try? cache.makeFolder("probe")) != nil else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        if let data = try? encoder.encode(entries) { try? AtomicFile.write(data, to: file) }
    }
}
