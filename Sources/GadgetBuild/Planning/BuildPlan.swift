import Foundation

/// Everything a build will do, decided before anything runs.
public struct BuildPlan: Codable, Sendable {
    public var gadgetFolder: String
    public var architectures: [Architecture]
    public var compiler: ClangCompiler
    public var compilerReason: String
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
    /// background after the compiles, for the next build (building one first would make this build slower).
    public var precompiledHeadersToBuild: [PrecompiledHeader] = []

    public func jobs(_ kind: Job.Kind) -> [Job] { jobs.filter { $0.kind == kind } }
}

/// Turns a request, a gadget folder and the probe's findings into a plan. No processes, no I/O.
public struct BuildPlanner: Sendable {
    public let probe: ProbeReport
    /// Where precompiled headers live; nil plans none.
    let cache: CacheLocation?
    /// Whether a PCH file exists (asked of the file system by the caller, a fake in tests).
    let precompiledHeaderExists: @Sendable (String) -> Bool

    public init(probe: ProbeReport, cache: CacheLocation? = nil, precompiledHeaderExists: @escaping @Sendable (String) -> Bool = { _ in false }) {
        self.probe = probe
        self.cache = cache
        self.precompiledHeaderExists = precompiledHeaderExists
    }

    public func plan(_ request: BuildRequest, gadget: GadgetFolder, workDirectory: URL, keepsWorkDirectory: Bool) throws -> BuildPlan {
        let toolchains = try selectToolchains(request)
        guard let compiler = probe.chosenCompiler, let layout = probe.includeLayout else {
            throw PlanningError.noNativeToolchain(missing: probe.missingRequirements)
        }
        var jobs: [Job] = []
        var programs: [String: String] = [:]
        var precompiledHeadersToBuild: [PrecompiledHeader] = []
        let work = workDirectory.path
        for arch in request.architectures {
            let vmlinux = probe.vmlinux[arch.rawValue]
            if let vmlinux, vmlinux.kind == .kernelBTF, let btf = vmlinux.btfPath {
                jobs.append(Job(kind: .generateVmlinux, arch: arch, inputs: [btf],
                                outputs: ["\(vmlinux.includeDirectory)/vmlinux.h"]))
            }
            var objects: [String] = []
            let pch = cache.flatMap { cache in
                vmlinux.flatMap { PrecompiledHeader.plan(compiler: compiler, arch: arch, vmlinux: $0, layout: layout, cache: cache) }
            }
            let pchReady = pch.map { precompiledHeaderExists($0.output) } ?? false
            if let pch, !pchReady, !gadget.sourcesStartingWithVmlinux.isEmpty { precompiledHeadersToBuild.append(pch) }
            for (index, source) in gadget.ebpfSources.enumerated() {
                let stem = URL(fileURLWithPath: source).lastPathComponent.replacingOccurrences(of: ".bpf.c", with: "")
                    .replacingOccurrences(of: ".c", with: "")
                let output = "\(work)/\(arch)/\(index == 0 ? "\(arch).bpf.o" : "\(stem).bpf.o")"
                var argv = Self.compileArguments(
                    clang: compiler.path, arch: arch, source: source, output: output,
                    vmlinuxDirectory: vmlinux?.includeDirectory, layout: layout)
                if let pch, pchReady, gadget.sourcesStartingWithVmlinux.contains(source) {
                    argv.insert(contentsOf: pch.compileFlags, at: argv.count - 2)
                }
                if request.useCache {
                    // The depfile lists every file the compile read: the cache's key covers them all.
                    argv.insert(contentsOf: ["-MD", "-MF", output + ".d"], at: argv.count - 2)
                }
                jobs.append(Job(kind: .compile, arch: arch, argv: argv, workingDirectory: gadget.root.path,
                                inputs: [source], outputs: [output]))
                objects.append(output)
            }
            guard !objects.isEmpty else { continue }
            let linked = "\(work)/\(arch).bpf.o"
            jobs.append(Job(kind: .link, arch: arch, inputs: objects, outputs: [linked]))
            jobs.append(Job(kind: .check, arch: arch, inputs: [linked], outputs: []))
            if request.verify {
                jobs.append(Job(kind: .verify, arch: arch, inputs: [linked], outputs: []))
            }
            programs[arch.rawValue] = linked
        }
        return BuildPlan(
            gadgetFolder: gadget.root.path, architectures: request.architectures,
            compiler: compiler, compilerReason: probe.compilerReason ?? "",
            toolchains: toolchains, workDirectory: work, keepsWorkDirectory: keepsWorkDirectory,
            jobs: jobs, programs: programs, precompiledHeadersToBuild: precompiledHeadersToBuild)
    }

    /// ig's compile line, flag for flag (`clang -target bpf -Wall -g -O2 -I/usr/include/<triple>
    /// -D __TARGET_ARCH_<x> -c SRC -I /usr/include/gadget/<arch>/ -o OUT`), with the folders the host
    /// needs besides ig's added after its own -I: -I from the user, gadgetc's libbpf overlay, and the
    /// gadget headers' root when it is not a default search folder.
    public static func compileArguments(clang: String, arch: Architecture, source: String, output: String,
                                        vmlinuxDirectory: String?, layout: IncludeLayout) -> [String] {
        var argv = [clang, "-target", "bpf", "-Wall", "-g", "-O2", "-I\(layout.multiarchDirectory)",
                    "-D", "__TARGET_ARCH_\(arch.targetArchDefine)", "-c", source,
                    "-I", "\(vmlinuxDirectory ?? "/usr/include/gadget/\(arch)")/"]
        for dir in layout.userDirectories { argv += ["-I", dir] }
        if let compat = layout.libbpfCompatDirectory { argv += ["-I", compat] }
        if let root = layout.gadgetHeadersRoot, !layout.userDirectories.contains(root) { argv += ["-I", root] }
        argv += ["-o", output]
        return argv
    }

    /// Applies `--toolchain` to the probe's per-arch decisions.
    func selectToolchains(_ request: BuildRequest) throws -> [ToolchainDecision] {
        switch request.toolchain {
        case .container:
            throw PlanningError.containerToolchainUnavailable(missing: probe.missingRequirements.isEmpty
                ? ["nothing — use --toolchain native or auto"] : probe.missingRequirements)
        case .native, .auto:
            let decisions = request.architectures.map { probe.decision(for: $0) ?? ToolchainDecision(arch: $0, toolchain: .none, reasons: []) }
            if decisions.contains(where: { $0.toolchain != .native }) {
                if request.toolchain == .auto {
                    throw PlanningError.containerToolchainUnavailable(missing: probe.missingRequirements)
                }
                throw PlanningError.noNativeToolchain(missing: probe.missingRequirements)
            }
            return decisions
        }
    }
}
