import Foundation

/// Everything a build will do, decided before anything runs.
public struct BuildPlan: Codable, Sendable {
    public var gadgetFolder: String
    public var architectures: [Architecture]
    /// The host's clang, when any arch builds natively.
    public var compiler: ClangCompiler?
    public var compilerReason: String
    /// The builder image and engine, when any arch builds in the container.
    public var container: ContainerSettings?
    /// gadgetc's libbpf overlay, mounted into the builder container when found.
    public var containerCompatDirectory: String?
    /// Per arch: which toolchain and why.
    public var toolchains: [ToolchainDecision]
    /// Where compiled and linked objects go.
    public var workDirectory: String
    /// Whether `workDirectory` is the user's (`-o`) and so kept.
    public var keepsWorkDirectory: Bool
    public var jobs: [Job]
    /// The linked object of each arch: what gets packaged.
    public var programs: [String: String]
    /// Precompiled headers this build could have used but that do not exist yet: built in the
    /// background once the build is over, for the next build (building one first would make this build slower).
    public var precompiledHeadersToBuild: [PrecompiledHeader] = []
    /// The probe's warnings: things that may make a compile fail.
    public var warnings: [String] = []
    /// The folders native compiles may read (`ReadableFolders`): the gadget folder and the include folders.
    public var readableFolders: [String] = []
    /// The wasm step's toolchain and the module it writes (host path), for a gadget with a Go or Rust source.
    public var wasm: WasmDecision?
    public var wasmModule: String?
    /// Folders the builder container gets besides /work and /out (the wasm toolchains' caches).
    public var containerMounts: [ContainerMount] = []
    /// Per arch: this build's folders by the names every machine gives them (the team cache's keys).
    public var portablePaths: [String: PortablePaths] = [:]

    public func jobs(_ kind: Job.Kind) -> [Job] { jobs.filter { $0.kind == kind } }
}

/// Turns a request, a gadget folder and the probe's findings into a plan. No processes, no I/O.
public struct BuildPlanner: Sendable {
    public let probe: ProbeReport
    /// Where precompiled headers live; nil plans none.
    let cache: CacheLocation?
    /// Whether a PCH file exists (asked of the file system by the caller, a fake in tests).
    let precompiledHeaderExists: @Sendable (String) -> Bool
    /// Added to the environment of the host's clang (`ClangEnvironment.additions`).
    let clangEnvironment: [String: String]
    /// The host's side of a wasm build (`WasmHostContext`).
    let wasmHost: WasmHostContext

    public init(probe: ProbeReport, cache: CacheLocation? = nil, precompiledHeaderExists: @escaping @Sendable (String) -> Bool = { _ in false },
                clangEnvironment: [String: String] = [:], wasmHost: WasmHostContext = WasmHostContext()) {
        self.probe = probe
        self.cache = cache
        self.precompiledHeaderExists = precompiledHeaderExists
        self.clangEnvironment = clangEnvironment
        self.wasmHost = wasmHost
    }

    public func plan(_ request: BuildRequest, gadget: GadgetFolder, workDirectory: URL, keepsWorkDirectory: Bool) throws -> BuildPlan {
        // A gadget without eBPF (a wasm module or gadget.yaml only) needs no clang, native or in the builder.
        let toolchains = gadget.ebpfSources.isEmpty ? [] : try selectToolchains(request, gadget: gadget)
        var jobs: [Job] = []
        var programs: [String: String] = [:]
        var portablePaths: [String: PortablePaths] = [:]
        var precompiledHeadersToBuild: [PrecompiledHeader] = []
        let work = workDirectory.path
        // First in the plan: it waits for no compile and takes a job slot beside them.
        let wasm = try planWasm(request, gadget: gadget, work: work, into: &jobs)
        for decision in toolchains {
            let arch = decision.arch
            let objects: [String]
            if decision.toolchain == .container {
                objects = containerCompiles(arch, request: request, gadget: gadget, work: work, into: &jobs)
            } else {
                objects = try nativeCompiles(arch, request: request, gadget: gadget, work: work, into: &jobs, pchs: &precompiledHeadersToBuild)
            }
            guard !objects.isEmpty else { continue }
            let linked = "\(work)/\(arch).bpf.o"
            var link = Job(kind: .link, arch: arch, inputs: objects, outputs: [linked])
            link.pathMap = decision.toolchain == .container ? containerPathMap : nativePathMap(arch, gadget: gadget)
            jobs.append(link)
            jobs.append(Job(kind: .check, arch: arch, inputs: [linked], outputs: []))
            if request.verify {
                jobs.append(Job(kind: .verify, arch: arch, inputs: [linked], outputs: []))
            }
            if let archive = request.btfHubArchive {
                let folder = URL(fileURLWithPath: archive).standardizedFileURL.path
                var btfgen = Job(kind: .btfgen, arch: arch, inputs: [linked, folder], outputs: ["\(work)/btfs-\(arch.btfHubName).tar.gz"],
                                 toolchain: decision.toolchain)
                btfgen.btfHubArchive = folder
                jobs.append(btfgen)
            }
            programs[arch.rawValue] = linked
            portablePaths[arch.rawValue] = decision.toolchain == .container
                ? PortablePaths(folders: ["$GADGET": gadget.root.path]) : nativePortablePaths(arch, gadget: gadget)
        }
        let native = toolchains.contains { $0.toolchain == .native }
        return BuildPlan(
            gadgetFolder: gadget.root.path, architectures: request.architectures,
            compiler: native ? probe.chosenCompiler : nil, compilerReason: native ? probe.compilerReason ?? "" : "",
            container: toolchains.contains { $0.toolchain == .container } || wasm?.0.toolchain == .container ? request.container : nil,
            containerCompatDirectory: bundledCompat,
            toolchains: toolchains, workDirectory: work, keepsWorkDirectory: keepsWorkDirectory,
            jobs: jobs, programs: programs, precompiledHeadersToBuild: precompiledHeadersToBuild, warnings: probe.warnings,
            readableFolders: readableFolders(gadget: gadget), wasm: wasm?.0, wasmModule: wasm.map { _ in "\(work)/program.wasm" },
            containerMounts: wasm?.1 ?? [], portablePaths: portablePaths)
    }

    /// Compile jobs on the host, with the probe's clang and include folders (and the PCH when present).
    func nativeCompiles(_ arch: Architecture, request: BuildRequest, gadget: GadgetFolder, work: String,
                        into jobs: inout [Job], pchs: inout [PrecompiledHeader]) throws -> [String] {
        guard let compiler = probe.chosenCompiler, let layout = probe.includeLayout else {
            throw PlanningError.noNativeToolchain(missing: probe.missingRequirements)
        }
        let vmlinux = probe.vmlinux[arch.rawValue]
        if let vmlinux, vmlinux.kind == .kernelBTF, let btf = vmlinux.btfPath {
            jobs.append(Job(kind: .generateVmlinux, arch: arch, inputs: [btf], outputs: ["\(vmlinux.includeDirectory)/vmlinux.h"]))
        }
        let pch = cache.flatMap { cache in
            vmlinux.flatMap { PrecompiledHeader.plan(compiler: compiler, arch: arch, vmlinux: $0, layout: layout, cache: cache) }
        }.map { pch in
            var pch = pch
            pch.environment = clangEnvironment.isEmpty ? nil : clangEnvironment
            return pch
        }
        let pchReady = pch.map { precompiledHeaderExists($0.output) } ?? false
        if let pch, !pchReady, !gadget.sourcesStartingWithVmlinux.isEmpty { pchs.append(pch) }
        var objects: [String] = []
        for (index, source) in gadget.ebpfSources.enumerated() {
            let output = "\(work)/\(arch)/\(Self.objectName(source, index: index, arch: arch))"
            var invocation = ClangInvocation.igCompile(clang: compiler.path, arch: arch, source: source, output: output,
                                                       vmlinuxDirectory: vmlinux?.includeDirectory, layout: layout)
            if let pch, pchReady, gadget.sourcesStartingWithVmlinux.contains(source) { invocation.precompiledHeader = pch.output }
            // The depfile lists every file the compile read: the cache's key covers them all, and the include
            // boundary is checked against it (with --no-cache too).
            invocation.depfile = output + ".d"
            var job = Job.compile(invocation, workingDirectory: gadget.root.path, outputs: [output])
            job.environment = clangEnvironment.isEmpty ? nil : clangEnvironment
            if let vmlinux { job.presenceInputs = ["\(vmlinux.includeDirectory)/vmlinux.h"] }
            jobs.append(job)
            objects.append(output)
        }
        return objects
    }

    /// Compile jobs run inside the builder container, on the same sources, with ig's line as the builder runs it.
    func containerCompiles(_ arch: Architecture, request: BuildRequest, gadget: GadgetFolder, work: String, into jobs: inout [Job]) -> [String] {
        let mounts = [ContainerLayout.source: gadget.root.path, ContainerLayout.output: work]
        var objects: [String] = []
        for (index, source) in gadget.ebpfSources.enumerated() {
            let name = "\(arch)/\(Self.objectName(source, index: index, arch: arch))"
            let inside = "\(ContainerLayout.output)/\(name)"
            var invocation = ContainerLayout.compile(arch: arch, host: probeHostArchitecture, source: source, output: inside,
                                                     withCompat: bundledCompat != nil)
            if request.useCache { invocation.depfile = inside + ".d" }
            jobs.append(.compile(invocation, workingDirectory: ContainerLayout.source, outputs: ["\(work)/\(name)"],
                                 toolchain: .container, mounts: mounts))
            objects.append("\(work)/\(name)")
        }
        return objects
    }

    var probeHostArchitecture: Architecture { Architecture(rawValue: probe.hostArchitecture) ?? .amd64 }

    /// gadgetc's libbpf overlay on the host, mounted into the container when found.
    var bundledCompat: String? { probe.bundledCompatDirectory }

    /// The first source compiles to ig's `<arch>.bpf.o`; the others to `<stem>.bpf.o`.
    static func objectName(_ source: String, index: Int, arch: Architecture) -> String {
        let stem = URL(fileURLWithPath: source).lastPathComponent.replacingOccurrences(of: ".bpf.c", with: "").replacingOccurrences(of: ".c", with: "")
        return index == 0 ? "\(arch).bpf.o" : "\(stem).bpf.o"
    }

    /// The gadget folder and every folder a native compile takes headers from; the compiler's own
    /// installation and the PCH's folder are added by the executor, which can ask the file system.
    func readableFolders(gadget: GadgetFolder) -> [String] {
        guard let layout = probe.includeLayout else { return [gadget.root.path] }
        var folders = [gadget.root.path, layout.multiarchDirectory, "/usr/include", "/usr/local/include"] + layout.userDirectories
        folders += [layout.gadgetHeadersRoot, layout.libbpfCompatDirectory].compactMap { $0 }
        folders += probe.vmlinux.values.map(\.includeDirectory)
        return folders
    }

    /// The source paths a native link records in BTF line info (clang records the real ones, so it
    /// reads the right line text): the ones ig's builder has. The gadget folder is /work, gadgetc's
    /// gadget headers and libbpf overlay are under /usr/include, vmlinux.h in /usr/include/gadget/<arch>;
    /// other folders (-I from the user, /usr/include itself) stay.
    func nativePathMap(_ arch: Architecture, gadget: GadgetFolder) -> [DebugPathMapping] {
        var map = [DebugPathMapping(from: gadget.root.path, to: ContainerLayout.source)]
        if let vmlinux = probe.vmlinux[arch.rawValue] {
            map.append(DebugPathMapping(from: vmlinux.includeDirectory, to: "/usr/include/gadget/\(arch)"))
        }
        if let layout = probe.includeLayout {
            for folder in [layout.gadgetHeadersRoot, layout.libbpfCompatDirectory].compactMap({ $0 }) {
                map.append(DebugPathMapping(from: folder, to: "/usr/include"))
            }
        }
        return map
    }

    /// The folders of a native compile by their portable names (`PortablePaths`).
    func nativePortablePaths(_ arch: Architecture, gadget: GadgetFolder) -> PortablePaths {
        var folders = ["$GADGET": gadget.root.path]
        if let vmlinux = probe.vmlinux[arch.rawValue] { folders["$VMLINUX"] = vmlinux.includeDirectory }
        if let layout = probe.includeLayout {
            if let headers = layout.gadgetHeadersRoot { folders["$GADGETC_HEADERS"] = headers }
            if let compat = layout.libbpfCompatDirectory { folders["$GADGETC_COMPAT"] = compat }
            for (index, folder) in layout.userDirectories.enumerated() where folder != layout.gadgetHeadersRoot {
                folders["$INCLUDE\(index + 1)"] = folder
            }
        }
        return PortablePaths(folders: folders)
    }

    /// The same for a compile in the builder container, which runs in the gadget folder at /work and
    /// has gadgetc's libbpf overlay at /gadgetc/compat.
    var containerPathMap: [DebugPathMapping] {
        [DebugPathMapping(from: ContainerLayout.source, to: ContainerLayout.source)]
            + (bundledCompat == nil ? [] : [DebugPathMapping(from: ContainerLayout.compat, to: "/usr/include")])
    }

    /// Applies `--toolchain` to the probe's findings, per arch. `auto` builds natively where the host
    /// can, and in the container where it cannot — also for one arch only, e.g. arm64 when the gadget
    /// needs vmlinux.h and the host has none for arm64.
    func selectToolchains(_ request: BuildRequest, gadget: GadgetFolder) throws -> [ToolchainDecision] {
        let engine = probe.capability("container engine")
        let engineFound = engine?.found ?? false
        return try request.architectures.map { arch in
            let native = probe.decision(for: arch)?.toolchain == .native
            let vmlinuxMissing = gadget.includesVmlinux && probe.vmlinux[arch.rawValue] == nil
            let containerReason = "in the builder image \(request.container.image) through \(engine?.path ?? "the engine")"
            switch request.toolchain {
            case .native:
                guard native else { throw PlanningError.noNativeToolchain(missing: probe.missingRequirements) }
                return ToolchainDecision(arch: arch, toolchain: .native, reasons: ["--toolchain native"])
            case .container:
                guard engineFound else { throw PlanningError.noContainerEngine(detail: engine?.detail ?? "no engine socket") }
                return ToolchainDecision(arch: arch, toolchain: .container, reasons: ["--toolchain container: \(containerReason)"])
            case .auto:
                if native && !vmlinuxMissing {
                    return ToolchainDecision(arch: arch, toolchain: .native, reasons: probe.decision(for: arch)?.reasons ?? [])
                }
                let why = native ? "the gadget includes vmlinux.h and the host has none for \(arch)" : "no native toolchain: \(probe.missingRequirements.joined(separator: "; "))"
                guard engineFound else {
                    if native { throw PlanningError.missingVmlinux(arch: arch) }
                    throw PlanningError.noToolchain(missing: probe.missingRequirements, engine: engine?.detail ?? "no engine socket")
                }
                return ToolchainDecision(arch: arch, toolchain: .container, reasons: [why, containerReason])
            }
        }
    }
}
