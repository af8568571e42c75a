import Foundation

/// A folder the builder container gets besides the gadget (/work) and the output (/out).
public struct ContainerMount: Codable, Hashable, Sendable {
    public var inside: String
    public var host: String
    public var writable: Bool
}

extension BuildPlanner {
    /// The wasm step of a gadget whose build.yaml names a Go or Rust source: on the host when it has the
    /// toolchain (`auto`, `native`), else in the builder container. Returns the decision and the
    /// container's extra folders; the job goes into `jobs`, beside the compiles (it waits for none of them).
    func planWasm(_ request: BuildRequest, gadget: GadgetFolder, work: String, into jobs: inout [Job]) throws -> (WasmDecision, [ContainerMount])? {
        guard let source = gadget.wasm, let language = source.language else { return nil }
        let finding = wasmHost.finding ?? WasmToolchainFinding(language: language, compiler: nil, problems: [])
        let engine = probe.capability("container engine")
        let engineFound = engine?.found ?? false
        let decision: WasmDecision
        switch request.toolchain {
        case .native:
            guard let compiler = finding.compiler else { throw PlanningError.noWasmToolchain(missing: finding.missing, engine: nil) }
            decision = WasmDecision(language: language, toolchain: .native, reasons: ["--toolchain native"], compiler: compiler)
        case .container:
            guard engineFound else { throw PlanningError.noContainerEngine(detail: engine?.detail ?? "no engine socket") }
            decision = WasmDecision(language: language, toolchain: .container, reasons: ["--toolchain container"], compiler: nil)
        case .auto:
            if let compiler = finding.compiler {
                decision = WasmDecision(language: language, toolchain: .native, reasons: ["auto: the host has it"], compiler: compiler)
            } else if engineFound {
                decision = WasmDecision(language: language, toolchain: .container,
                                        reasons: [finding.missing, "in the builder image \(request.container.image)"], compiler: nil)
            } else {
                throw PlanningError.noWasmToolchain(missing: finding.missing, engine: engine?.detail ?? "no engine socket")
            }
        }
        let module = "\(work)/program.wasm"
        let caches = wasmHost.toolCaches ?? "\(work)/wasm-caches"
        var mounts: [ContainerMount] = []
        var build: WasmBuild
        if let compiler = decision.compiler {
            switch source {
            case .rust(_, let manifest):
                let targetDirectory = "\(caches)/cargo/\(ContentDigest.hex(manifest.path).prefix(16))"
                build = .rust(tool: compiler.path, manifest: manifest.path, target: compiler.target ?? "wasm32-wasip1",
                              targetDirectory: targetDirectory, module: module, environment: compiler.rustc.map { ["RUSTC": $0] } ?? [:])
            default:
                build = .go(tool: compiler.path, source: source.source.path, module: module)
            }
            var job = Job(kind: .wasm, arch: nil, argv: build.commandLine, workingDirectory: build.folder, inputs: [source.source.path], outputs: [module])
            job.environment = build.environment
            job.wasm = build
            jobs.append(job)
            return (decision, [])
        }
        // In the builder: the gadget is at /work, or, for a gadget inside IG_SOURCE_PATH, the whole tree
        // is mounted (read-only) so that its go.mod's `replace … => ../../../` resolves.
        var root = (inside: ContainerLayout.source, host: gadget.root.path)
        if let tree = wasmHost.igSourcePath.map({ URL(fileURLWithPath: $0).standardizedFileURL.path }), gadget.root.path.hasPrefix(tree + "/") {
            mounts.append(ContainerMount(inside: ContainerLayout.igSource, host: tree, writable: false))
            root = (ContainerLayout.igSource + gadget.root.path.dropFirst(tree.count), gadget.root.path)
        }
        let visibleSource = root.inside + source.source.path.dropFirst(gadget.root.path.count)
        let insideModule = "\(ContainerLayout.output)/program.wasm"
        switch source {
        case .rust(_, let manifest):
            let targetDirectory = "\(caches)/cargo-builder/\(ContentDigest.hex(manifest.path).prefix(16))"
            mounts.append(ContainerMount(inside: ContainerLayout.cargoTarget, host: targetDirectory, writable: true))
            var environment = ["CARGO_HOME": ContainerLayout.cargoHome, "CARGO_NET_OFFLINE": "true", "HOME": "/tmp"]
            if let registry = wasmHost.cargoRegistry {
                mounts.append(ContainerMount(inside: "\(ContainerLayout.cargoHome)/registry", host: registry, writable: false))
            }
            environment["CARGO_TERM_COLOR"] = "never"
            build = .rust(tool: "cargo", manifest: root.inside + manifest.path.dropFirst(gadget.root.path.count),
                          target: "wasm32-wasip1", targetDirectory: ContainerLayout.cargoTarget, module: insideModule, environment: environment)
        default:
            mounts.append(ContainerMount(inside: ContainerLayout.goCache, host: "\(caches)/go-build", writable: true))
            // No network in the builder: modules come from the host's module cache, or the build says which is missing.
            var environment = ["GOCACHE": ContainerLayout.goCache, "GOPROXY": "off", "GOTOOLCHAIN": "local", "HOME": "/tmp"]
            if let cache = wasmHost.goModuleCache {
                mounts.append(ContainerMount(inside: ContainerLayout.goModuleCache, host: cache, writable: false))
                environment["GOMODCACHE"] = ContainerLayout.goModuleCache
            } else {
                environment["GOMODCACHE"] = "/tmp/gadgetc-go-mod"
            }
            build = .go(tool: "go", source: visibleSource, module: insideModule, environment: environment)
        }
        var jobMounts = [ContainerLayout.source: gadget.root.path, ContainerLayout.output: work]
        for mount in mounts { jobMounts[mount.inside] = mount.host }
        var job = Job(kind: .wasm, arch: nil, argv: build.commandLine, workingDirectory: build.folder, inputs: [source.source.path],
                      outputs: [module], toolchain: .container, mounts: jobMounts)
        job.environment = build.environment
        job.wasm = build
        jobs.append(job)
        return (decision, mounts)
    }
}
