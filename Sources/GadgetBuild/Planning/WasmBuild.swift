import Foundation

/// The build of a gadget's wasm module as data, the step's own shape beside a compile's `ClangInvocation`:
/// which toolchain command makes it, where the toolchain leaves it, and how its cache key and its
/// dependencies are found. Paths are as the command sees them (container paths in the builder).
public struct WasmBuild: Codable, Hashable, Sendable {
    public var language: WasmCompiler.Language
    /// The command, its arguments and the variables it adds to the environment.
    public var tool: String
    public var arguments: [String]
    public var environment: [String: String]
    /// Go: the source's folder (`go build -C`); Rust: the crate's folder.
    public var folder: String
    /// Go: the source file, relative to `folder`.
    public var sourceFile: String?
    /// Rust: the crate's Cargo.toml, its `CARGO_TARGET_DIR` and its WASI target.
    public var manifest: String?
    public var targetDirectory: String?
    public var target: String?
    /// Where the module must end up: the build's `program.wasm`.
    public var module: String

    public var commandLine: [String] { [tool] + arguments }

    /// ig's Go line (`go build -C DIR -o OUT -buildmode=c-shared -ldflags "-w -s" FILE`, a WASI reactor),
    /// with `-trimpath`: Go records the build folder's path in the module otherwise, and the image's
    /// digest would change with the checkout's path (ig's builder always builds under /work).
    public static func go(tool: String, source: String, module: String, environment extra: [String: String] = [:]) -> WasmBuild {
        let url = URL(fileURLWithPath: source)
        let folder = url.deletingLastPathComponent().path
        let file = url.lastPathComponent
        return WasmBuild(language: .go, tool: tool,
                         arguments: ["build", "-C", folder, "-o", module, "-buildmode=c-shared", "-trimpath", "-ldflags", "-w -s", file],
                         environment: ["CGO_ENABLED": "0", "GOOS": "wasip1", "GOARCH": "wasm"].merging(extra) { _, new in new },
                         folder: folder, sourceFile: file, module: module)
    }

    /// ig's Rust line: `cargo build --target TARGET --release --manifest-path CRATE/Cargo.toml` with
    /// `CARGO_TARGET_DIR`; the module is then `TARGETDIR/TARGET/release/<crate>.wasm`.
    public static func rust(tool: String, manifest: String, target: String, targetDirectory: String, module: String,
                            environment extra: [String: String] = [:]) -> WasmBuild {
        WasmBuild(language: .rust, tool: tool, arguments: ["build", "--target", target, "--release", "--manifest-path", manifest],
                  environment: ["CARGO_TARGET_DIR": targetDirectory].merging(extra) { _, new in new },
                  folder: URL(fileURLWithPath: manifest).deletingLastPathComponent().path,
                  manifest: manifest, targetDirectory: targetDirectory, target: target, module: module)
    }

    /// What goes into the cache key besides the toolchain's identity: the command without the paths
    /// that change from build to build (the output, the target folder), and the user's variables that
    /// change what the toolchain makes.
    public func keyParts(userEnvironment: [String: String]) -> [String] {
        var arguments = self.arguments
        if let index = arguments.firstIndex(of: "-o"), index + 1 < arguments.count { arguments.remove(at: index + 1) }
        let names = language == .go ? ["GOFLAGS", "GOEXPERIMENT", "GOWASM", "GODEBUG"]
            : ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_PROFILE_RELEASE_OPT_LEVEL", "CARGO_PROFILE_RELEASE_DEBUG"]
        let variables = names.compactMap { name in userEnvironment[name].map { "\(name)=\($0)" } }
        let added = environment.filter { $0.key != "CARGO_TARGET_DIR" && $0.key != "GOCACHE" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return [language.rawValue, tool] + arguments + added + variables
    }

    /// The command that lists the Go packages the build compiled, one per line: the folder, then the
    /// Go and embedded files, tab-separated; standard-library packages (the toolchain's identity covers
    /// them) print nothing. The main module's go.mod comes as a package of its own line.
    public var goListCommand: [String]? {
        guard language == .go, let sourceFile else { return nil }
        let template = "{{if not .Standard}}{{.Dir}}{{range .GoFiles}}\t{{.}}{{end}}{{range .EmbedFiles}}\t{{.}}{{end}}"
            + "{{with .Module}}{{if .GoMod}}\n\u{1}{{.GoMod}}{{end}}{{end}}{{end}}"
        return [tool, "list", "-C", folder, "-deps", "-f", template, sourceFile]
    }

    /// The files `goListCommand`'s output names: each package's files, and each module's go.mod and go.sum.
    public static func goListFiles(_ output: String) -> [String] {
        var files: [String] = []
        for line in output.split(separator: "\n") {
            if line.hasPrefix("\u{1}") {
                let goMod = String(line.dropFirst())
                files += [goMod, URL(fileURLWithPath: goMod).deletingLastPathComponent().appendingPathComponent("go.sum").path]
                continue
            }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard let folder = fields.first, !folder.isEmpty else { continue }
            files += fields.dropFirst().map { "\(folder)/\($0)" }
        }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }

    /// Cargo's package name, as ig reads it (the first `name = "…"` line of Cargo.toml), as the file
    /// name of the module it writes (`my-mod` → `my_mod.wasm`).
    public static func crateModuleName(manifestText: String) -> String? {
        for line in manifestText.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("name"), let equals = trimmed.firstIndex(of: "=") else { continue }
            guard trimmed[..<equals].trimmingCharacters(in: .whitespaces) == "name" else { continue }
            let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            guard value.count >= 2, let quote = value.first, quote == "\"" || quote == "'" else { continue }
            let name = value.dropFirst().prefix { $0 != quote }
            return name.isEmpty ? nil : name.replacingOccurrences(of: "-", with: "_")
        }
        return nil
    }

    /// The same cargo build for another name of the WASI target (the builder's toolchain may know only `wasm32-wasi`).
    public func withTarget(_ name: String) -> WasmBuild {
        var copy = self
        if let index = copy.arguments.firstIndex(of: "--target"), index + 1 < copy.arguments.count { copy.arguments[index + 1] = name }
        copy.target = name
        return copy
    }

    /// Where cargo leaves the module of a crate called `name`.
    public func cargoProduct(crate name: String) -> String? {
        guard let targetDirectory, let target else { return nil }
        return "\(targetDirectory)/\(target)/release/\(name).wasm"
    }
}

/// What the host offers a wasm build besides the toolchain: found by the driver, so planning stays I/O-free.
public struct WasmHostContext: Sendable {
    /// The host toolchain for the gadget's language, or why there is none.
    public var finding: WasmToolchainFinding?
    /// A folder for the toolchains' own caches (`<gadgetc cache>/wasm`); nil with --no-cache (the build's work folder then).
    public var toolCaches: String?
    /// `IG_SOURCE_PATH`: Inspektor Gadget's source tree, mounted into the builder for in-tree gadgets (whose
    /// go.mod replaces ig's module with `../../../`).
    public var igSourcePath: String?
    /// The host's Go module cache and cargo registry, mounted read-only into the builder (it has no network).
    public var goModuleCache: String?
    public var cargoRegistry: String?

    public init(finding: WasmToolchainFinding? = nil, toolCaches: String? = nil, igSourcePath: String? = nil,
                goModuleCache: String? = nil, cargoRegistry: String? = nil) {
        self.finding = finding
        self.toolCaches = toolCaches
        self.igSourcePath = igSourcePath
        self.goModuleCache = goModuleCache
        self.cargoRegistry = cargoRegistry
    }

    /// The host's module cache and registry, where they exist (as `go env GOMODCACHE` and cargo find them).
    public static func hostFolders(environment: [String: String], fileExists: (String) -> Bool) -> (go: String?, cargo: String?) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let goPath = environment["GOPATH"].flatMap { $0.split(separator: ":").first.map(String.init) } ?? "\(home)/go"
        let go = environment["GOMODCACHE"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(goPath)/pkg/mod"
        let cargo = "\(environment["CARGO_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.cargo")/registry"
        return (fileExists(go) ? go : nil, fileExists(cargo) ? cargo : nil)
    }
}

/// Which toolchain builds the wasm module, and why.
public struct WasmDecision: Codable, Hashable, Sendable {
    public var language: WasmCompiler.Language
    public var toolchain: ToolchainDecision.Toolchain
    public var reasons: [String]
    /// The host toolchain, for native builds.
    public var compiler: WasmCompiler?
}

/// The fixed places of a wasm build in the builder container.
extension ContainerLayout {
    public static let goCache = "/gadgetc/go-build"
    public static let goModuleCache = "/gadgetc/go-mod"
    public static let cargoTarget = "/gadgetc/cargo-target"
    public static let cargoHome = "/tmp/gadgetc-cargo-home"
    public static let igSource = "/gadgetc/ig-source"
}
