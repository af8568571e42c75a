import Foundation

/// What the wasm step produced: the module (host path), what it declares, and every file the toolchain read.
public struct WasmOutput: Codable, Sendable {
    public var module: String
    public var language: WasmCompiler.Language
    public var toolchain: ToolchainDecision.Toolchain
    public var bytes: Int
    public var exports: [String]
    public var cached: Bool
    /// The sources, go.mod/go.sum or Cargo.toml/Cargo.lock, and the modules' files the build compiled.
    public var inputs: [String]
}

extension BuildExecutor {
    /// The wasm step: from the cache when every file the last build read is unchanged, else the
    /// toolchain's command under a job slot (its own build cache makes that incremental), then the
    /// files it read (`go list -deps`, or cargo's depfile) for the cache and the no-op shortcut.
    func buildWasm(_ planned: Job, toolchain: StepToolchain, wasmIdentity: String) async throws -> WasmOutput {
        guard var build = planned.wasm, let module = planned.outputs.first else { throw ExecutionError.step("internal: a wasm job without its build") }
        var resolved = planned
        if build.language == .rust, toolchain.kind == .container {
            // The builder's rustc is asked which name its WASI target has (ig's image: wasm32-wasip1; older Rust: wasm32-wasi).
            build = build.withTarget(try await containerRustTarget(toolchain))
            resolved.wasm = build
            resolved.argv = build.commandLine
        }
        let job = resolved
        let key = ContentDigest.hex((["wasm", GadgetcVersion.string, wasmIdentity, job.workingDirectory.flatMap(job.hostPath) ?? ""]
                                     + build.keyParts(userEnvironment: toolchain.kind == .native ? environment : [:])).joined(separator: "\u{0}"))
        if let cache, let hit = cache.lookupCompile(key: key) {
            try AtomicFile.write(hit.object, to: URL(fileURLWithPath: module))
            observer.jobCached(job)
            return try output(job, build: build, cached: true, inputs: hit.dependencies)
        }
        let observer = self.observer
        let (result, started) = try await slots.withSlot { () async throws -> (ProcessResult, Int64) in
            try Task.checkCancellation()
            let started = FileClock.coarseNow()
            observer.jobStarted(job)
            let start = ContinuousClock.now
            let result = try await toolchain.runner.run(job.argv, workingDirectory: job.workingDirectory, environment: job.environment ?? [:])
            observer.jobFinished(job, milliseconds: (ContinuousClock.now - start).milliseconds)
            return (result, started)
        }
        let messages = result.standardError + (build.language == .rust || result.succeeded ? "" : result.standardOutput)
        if !result.succeeded {
            if !messages.isEmpty { observer.diagnostics(job, text: messages) }
            throw WasmBuildError.failed(language: build.language, status: result.status, hint: WasmBuildError.hint(for: messages, build: build, toolchain: toolchain.kind))
        }
        if build.language == .rust {
            try copyCargoProduct(job, build: build)
        }
        let inputs = try await dependencies(job, build: build, toolchain: toolchain)
        cache?.storeCompileInBackground(key: key, dependencies: inputs, objectPath: module, compileStarted: started)
        return try output(job, build: build, cached: false, inputs: inputs)
    }

    /// The WASI target whose standard library the builder's rustc has.
    func containerRustTarget(_ toolchain: StepToolchain) async throws -> String {
        let sysroot = try await toolchain.runner.run(["rustc", "--print", "sysroot"], workingDirectory: nil)
        guard sysroot.succeeded else {
            throw WasmBuildError.noBuilderToolchain("the builder image has no rustc on its PATH (\(sysroot.standardError.split(separator: "\n").first ?? ""))")
        }
        let root = sysroot.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        for target in ["wasm32-wasip1", "wasm32-wasi"] where try await toolchain.runner.run(["test", "-d", "\(root)/lib/rustlib/\(target)/lib"], workingDirectory: nil).succeeded {
            return target
        }
        throw WasmBuildError.noBuilderToolchain("the builder image's rustc has neither the wasm32-wasip1 nor the wasm32-wasi target in \(root)")
    }

    /// Cargo names the module after the crate (`my-mod` → `my_mod.wasm`) in its target folder; ig copies
    /// it to program.wasm.
    func copyCargoProduct(_ job: Job, build: WasmBuild) throws {
        guard let manifest = build.manifest.flatMap(job.hostPath), let module = job.outputs.first else {
            throw ExecutionError.step("internal: a cargo build without its manifest")
        }
        let text = (try? String(contentsOfFile: manifest, encoding: .utf8)) ?? ""
        guard let crate = WasmBuild.crateModuleName(manifestText: text), let product = build.cargoProduct(crate: crate).flatMap(job.hostPath) else {
            throw WasmBuildError.noCrateName(manifest: manifest)
        }
        guard let bytes = FileManager.default.contents(atPath: product) else { throw WasmBuildError.noCargoProduct(path: product) }
        try AtomicFile.write(bytes, to: URL(fileURLWithPath: module))
    }

    /// Every file the toolchain read that the user can change, as host paths (files of the builder image
    /// have none; the image's identity covers them).
    func dependencies(_ job: Job, build: WasmBuild, toolchain: StepToolchain) async throws -> [String] {
        var files: [String]
        switch build.language {
        case .go:
            guard let list = build.goListCommand else { return job.inputs }
            let result = try await toolchain.runner.run(list, workingDirectory: job.workingDirectory, environment: job.environment ?? [:])
            guard result.succeeded else {
                throw ExecutionError.step("the wasm module was built, but `go list -deps` could not list what it read (\(result.standardError.split(separator: "\n").first ?? "")): run `\(list.joined(separator: " "))` to see why, and fix what it reports")
            }
            files = WasmBuild.goListFiles(result.standardOutput)
        case .rust:
            guard let manifest = build.manifest, let text = try? String(contentsOfFile: job.hostPath(manifest) ?? "", encoding: .utf8),
                  let crate = WasmBuild.crateModuleName(manifestText: text),
                  let product = build.cargoProduct(crate: crate), let depfile = job.hostPath(product.replacingOccurrences(of: ".wasm", with: ".d", options: .backwards)),
                  let listed = try? String(contentsOfFile: depfile, encoding: .utf8) else {
                throw ExecutionError.step("the wasm module was built, but cargo wrote no dependency file beside it, so gadgetc cannot tell when to rebuild it: check that the crate's package name gives the module's file name (`my-mod` → my_mod.d) and that nothing moves CARGO_TARGET_DIR")
            }
            let folder = URL(fileURLWithPath: manifest).deletingLastPathComponent().path
            files = [manifest, "\(folder)/Cargo.lock"] + Depfile.dependencies(listed, relativeTo: folder)
        }
        // A file named but absent (a module without go.sum, a crate without Cargo.lock) is left out: its
        // appearance is not watched — the toolchain's own files are.
        return files.compactMap(job.hostPath).filter { FileKind(path: $0) == .regular }
    }

    func output(_ job: Job, build: WasmBuild, cached: Bool, inputs: [String]) throws -> WasmOutput {
        guard let path = job.outputs.first, let data = FileManager.default.contents(atPath: path) else {
            throw ExecutionError.step("the \(build.language == .go ? "go" : "cargo") build wrote no module")
        }
        let module: WasmModule
        do { module = try WasmModule(bytes: data) } catch {
            throw ExecutionError.step("the \(build.language == .go ? "go" : "cargo") build wrote \(path), which is \(error)")
        }
        return WasmOutput(module: path, language: build.language, toolchain: job.toolchain, bytes: data.count,
                          exports: module.exportedFunctions, cached: cached, inputs: Array(Set(inputs + job.inputs)).sorted())
    }
}

/// A wasm build that failed; the toolchain's own messages were shown verbatim before it.
public enum WasmBuildError: Error, Equatable, CustomStringConvertible {
    case failed(language: WasmCompiler.Language, status: Int32, hint: String?)
    case noCrateName(manifest: String)
    case noCargoProduct(path: String)
    case noBuilderToolchain(String)

    public var description: String {
        switch self {
        case .failed(let language, let status, let hint):
            return "building the wasm module failed (\(language == .go ? "go build" : "cargo build") exit status \(status)); see its messages above" + (hint.map { ": \($0)" } ?? "")
        case .noCrateName(let manifest):
            return "\(manifest) has no `name = \"…\"` line: add the package's name under [package] (cargo names the module after it, and ig reads it from there)"
        case .noBuilderToolchain(let reason):
            return "\(reason): use a builder image with the toolchain (--builder-image), or build natively with one on the host"
        case .noCargoProduct(let path):
            return "cargo built the crate but wrote no \(path): make the crate a library with `crate-type = [\"cdylib\"]` under [lib]"
        }
    }

    /// What to do when the messages show a module the build could not fetch (the builder has no network).
    static func hint(for messages: String, build: WasmBuild, toolchain: ToolchainDecision.Toolchain) -> String? {
        let offline = ["GOPROXY=off", "go: downloading", "dial tcp", "no such host", "missing go.sum entry", "cannot find module providing package", "not found in the module cache"]
        if build.language == .go, offline.contains(where: messages.contains) {
            return toolchain == .container
                ? "a module is missing and the builder container has no network: run `go mod download` in \(build.folder.replacingOccurrences(of: ContainerLayout.source, with: "the gadget's folder")) on the host (its module cache is mounted read-only), or build natively"
                : "a module is missing: run `go mod download` (and `go mod tidy`) in the module's folder with the network, or point GOPROXY/GOFLAGS=-mod=vendor at what you have"
        }
        if build.language == .rust, messages.contains("offline") || messages.contains("failed to download") || messages.contains("Cargo.lock") {
            return toolchain == .container
                ? "the builder container has no network and mounts the crate read-only: commit Cargo.lock and run `cargo fetch` on the host (its registry is mounted read-only)"
                : "a crate is missing: run `cargo fetch` with the network"
        }
        return nil
    }
}
