import Foundation

/// Answers, with reasons, which toolchain can build which architecture on this host.
public struct HostProbe: Sendable {
    /// libbpf header version from which no compatibility overlay is needed (the builder image has 1.3.0).
    public static let builderLibbpfHeaders = (major: 1, minor: 3)
    static let defaultIncludeRoots = ["/usr/local/include", "/usr/include"]

    let host: HostSystem
    let cache: CacheLocation?
    let userIncludeDirectories: [String]
    /// `--container-host`, which names the engine socket before any environment variable.
    let engineOption: String?
    /// The builder image whose presence `doctor` reports; nil skips asking the engine (builds ask it themselves).
    let builderImage: String?
    /// What the probe is for: `doctor`'s full report, or a build, which runs only the clang it needs
    /// and skips what does not decide the plan (libclang, the kernel's BPF check).
    /// `provisionalBuild` is a build that may take an unidentified compiler by its name (see
    /// `ClangLocator.chooseForBuild(provisionally:)`): a first build then does not wait ~25 ms for clang.
    public enum Purpose: Sendable { case report, build, provisionalBuild }
    let purpose: Purpose

    public init(host: HostSystem, cache: CacheLocation?, userIncludeDirectories: [String] = [], engineOption: String? = nil,
                builderImage: String? = nil, purpose: Purpose = .report) {
        self.purpose = purpose
        self.engineOption = engineOption
        self.builderImage = builderImage
        self.host = host
        self.cache = cache
        // Compiles run in the gadget's folder: a relative -I must mean what it meant where gadgetc was started.
        self.userIncludeDirectories = userIncludeDirectories.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    }

    public func run() async -> ProbeReport {
        let start = ContinuousClock.now
        var capabilities: [Capability] = []
        let hostArch = host.architecture

        // clang
        let locator = ClangLocator(host: host, cache: cache)
        let overridden = !(host.environment["GADGETC_CLANG"] ?? "").isEmpty
        let compilers: [ClangCompiler]
        let chosen: (ClangCompiler, String)?
        if purpose == .report {
            compilers = await locator.discover()
            chosen = ClangLocator.choose(from: compilers, overridden: overridden)
        } else {
            (compilers, chosen) = await locator.chooseForBuild(provisionally: purpose == .provisionalBuild)
        }
        capabilities.append(clangCapability(compilers: compilers, chosen: chosen, overridden: overridden))

        // libbpf, linked and headers
        capabilities.append(Capability(
            name: "libbpf", found: true, version: host.libbpfVersion,
            detail: "linked into gadgetc (bpf_linker, object checks, verifier loads, vmlinux.h generation)", required: true))
        let (libbpfHeaders, compat) = libbpfHeadersCapability()
        capabilities.append(libbpfHeaders)

        // kernel UAPI headers: the multiarch asm/ folder of the build host
        let triple = (hostArch ?? .amd64).multiarchTriple
        let multiarch = "/usr/include/\(triple)"
        let uapiFound = host.fileExists("\(multiarch)/asm/types.h") && host.fileExists("/usr/include/linux/types.h")
        capabilities.append(Capability(
            name: "kernel UAPI headers", found: uapiFound, path: uapiFound ? multiarch : nil,
            detail: uapiFound ? "asm/types.h for \(triple) and linux/*.h" : "no \(multiarch)/asm/types.h",
            fix: uapiFound ? nil : "apt-get install linux-libc-dev", required: true))

        // gadget headers
        let gadgetRoots = gadgetHeaderRoots()
        let gadgetRoot = gadgetRoots.first { host.fileExists("\($0.path)/gadget/macros.h") }
        capabilities.append(Capability(
            name: "gadget headers", found: gadgetRoot != nil, path: gadgetRoot.map { "\($0.path)/gadget" },
            detail: gadgetRoot.map { "from \($0.origin)" } ?? "none of \(gadgetRoots.map(\.path).joined(separator: ", ")) holds gadget/macros.h",
            fix: gadgetRoot == nil ? "install Inspektor Gadget's headers to /usr/include/gadget, set IG_SOURCE_PATH, or pass -I DIR" : nil,
            required: true))

        // vmlinux.h per arch
        var vmlinux: [String: VmlinuxSource] = [:]
        for arch in Architecture.allCases {
            let source = vmlinuxSource(for: arch, hostArch: hostArch, roots: gadgetRoots.map(\.path))
            if let source { vmlinux[arch.rawValue] = source }
            capabilities.append(vmlinuxCapability(arch: arch, source: source, hostArch: hostArch))
        }

        if purpose == .report {
            capabilities.append(libclangCapability())
            capabilities.append(await bpftoolCapability())
            let kernel = host.kernelAcceptsBPF()
            capabilities.append(Capability(
                name: "kernel BPF loading", found: kernel.accepted, detail: kernel.reason,
                fix: kernel.accepted ? nil : "run as root or with CAP_BPF+CAP_PERFMON to verify objects with --verify", required: false))
        }
        var engine = engineCapability()
        var engineStatus: EngineStatus?
        if engine.found, let socket = engine.path, let builderImage {
            let status = await host.engineStatus(socket: socket, image: builderImage)
            engineStatus = status
            if let error = status.error {
                engine.found = false
                engine.detail = error
                engine.fix = "start the engine behind \(socket), or pass --container-host"
            } else {
                let age = status.imageCreated.map { " (built \(Int(Date().timeIntervalSince($0) / 86_400)) days ago)" } ?? ""
                engine.version = status.version
                engine.detail = "\(status.kind ?? "engine") API \(status.apiVersion ?? "?"), \(status.rootless == true ? "rootless" : "rootful"); builder image \(builderImage) "
                    + (status.imagePresent == true ? "present\(age)" : "not present locally (pulled per --builder-image-pull, default missing)")
            }
        }
        capabilities.append(engine)

        let layout = IncludeLayout(
            multiarchDirectory: multiarch,
            gadgetHeadersRoot: gadgetRoot.flatMap { Self.defaultIncludeRoots.contains($0.path) ? nil : $0.path },
            libbpfCompatDirectory: compat,
            userDirectories: userIncludeDirectories)
        var report = ProbeReport(
            gadgetcVersion: GadgetcVersion.string,
            hostArchitecture: hostArch?.rawValue ?? "unknown",
            capabilities: capabilities,
            compilers: chosen.map { pick in [pick.0] + compilers.filter { $0 != pick.0 } } ?? compilers,
            chosenCompiler: chosen?.0, compilerReason: chosen?.1,
            includeLayout: layout, vmlinux: vmlinux, decisions: [], elapsedMilliseconds: 0)
        if let headers = capabilities.first(where: { $0.name == "libbpf headers" }), headers.found, compat == nil,
           headers.detail.contains("overlay was not found") {
            report.warnings.append("libbpf headers \(headers.version ?? "?") are older than the builder's 1.3 and gadgetc's compatibility overlay was not found (set GADGETC_BPF_DIR to gadgetc's bpf folder): gadgets using BPF_UPROBE and similar will not compile")
        }
        report.engine = engineStatus
        report.reproducibility = ProbeReport.reproducibility(of: chosen?.0)
        if let bundle = bundledDirectory(), host.fileExists("\(bundle)/compat/bpf/bpf_tracing.h") {
            report.bundledCompatDirectory = "\(bundle)/compat"
        }
        report.decisions = Architecture.allCases.map { Self.decide($0, report: report) }
        let elapsed = ContinuousClock.now - start
        report.elapsedMilliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        return report
    }

    /// auto's choice for one arch, before knowing the gadget: native when every required capability
    /// is there, else the builder container when an engine answers.
    static func decide(_ arch: Architecture, report: ProbeReport) -> ToolchainDecision {
        let missing = report.missingRequirements
        guard missing.isEmpty, let clang = report.chosenCompiler else {
            if let engine = report.capability("container engine"), engine.found {
                return ToolchainDecision(arch: arch, toolchain: .container, reasons: missing + [
                    "the builder image through \(engine.path ?? "the engine") (\(engine.detail))",
                ])
            }
            return ToolchainDecision(arch: arch, toolchain: .none, reasons: missing + [
                "no container engine for the builder image: start docker or podman",
            ])
        }
        var reasons = ["clang \(clang.version) at \(clang.path) has the BPF target",
                       "libbpf headers, kernel UAPI headers and gadget headers found"]
        if let source = report.vmlinux[arch.rawValue] {
            reasons.append(source.kind == .file
                ? "vmlinux.h in \(source.includeDirectory)"
                : "vmlinux.h will be generated from \(source.btfPath ?? "kernel BTF") on first use")
        } else {
            let fallback = report.capability("container engine")?.found == true
                ? "they build in the builder container" : "install Inspektor Gadget's headers, pass -I, or start a container engine"
            reasons.append("no vmlinux.h for \(arch): gadgets that include it cannot build natively for \(arch) (\(fallback))")
        }
        return ToolchainDecision(arch: arch, toolchain: .native, reasons: reasons)
    }

    func clangCapability(compilers: [ClangCompiler], chosen: (ClangCompiler, String)?, overridden: Bool) -> Capability {
        if let (clang, reason) = chosen {
            return Capability(name: "clang with BPF target", found: true, path: clang.path, version: clang.version,
                              detail: reason, required: true)
        }
        let seen = compilers.map { "\($0.path) (clang \($0.version), \($0.hasBPFTarget ? "BPF" : "no BPF target"))" }
        let override = host.environment["GADGETC_CLANG"] ?? ""
        let detail = overridden
            ? (host.fileExists(override) || !override.contains("/")
                ? "GADGETC_CLANG=\(override) is not a clang with the BPF target (\(override) -v -print-targets failed, or did not answer within its time bound)"
                : "GADGETC_CLANG=\(override) does not exist")
            : (seen.isEmpty ? "no clang on PATH, in /usr/lib/llvm-*/bin or beside swiftc" : "none has the BPF target: \(seen.joined(separator: ", "))")
        return Capability(name: "clang with BPF target", found: false, detail: detail,
                          fix: overridden ? "point GADGETC_CLANG at a clang with the BPF target" : "apt-get install clang (or clang-16)", required: true)
    }

    /// Finds bpf/bpf_helpers.h in clang's default folders and reads its version; older than the builder's
    /// means gadgetc's compatibility overlay goes on the include path.
    func libbpfHeadersCapability() -> (Capability, String?) {
        guard let root = Self.defaultIncludeRoots.first(where: { host.fileExists("\($0)/bpf/bpf_helpers.h") }) else {
            return (Capability(name: "libbpf headers", found: false, detail: "no bpf/bpf_helpers.h in /usr/local/include or /usr/include",
                               fix: "apt-get install libbpf-dev", required: true), nil)
        }
        let version = host.readFile("\(root)/bpf/libbpf_version.h").flatMap { Self.libbpfHeaderVersion(String(decoding: $0, as: UTF8.self)) }
        let versionText = version.map { "\($0.major).\($0.minor)" }
        let old = version.map { ($0.major, $0.minor) < Self.builderLibbpfHeaders } ?? true
        var compat: String?
        var detail = "bpf/bpf_helpers.h found"
        if old {
            if let bundle = bundledDirectory(), host.fileExists("\(bundle)/compat/bpf/bpf_tracing.h") {
                compat = "\(bundle)/compat"
                detail += "; older than the builder's 1.3, so gadgetc's compatibility overlay \(bundle)/compat supplies what is missing"
            } else {
                detail += "; older than the builder's 1.3 and gadgetc's compatibility overlay was not found: gadgets using BPF_UPROBE and similar will not build"
            }
        }
        return (Capability(name: "libbpf headers", found: true, path: "\(root)/bpf", version: versionText, detail: detail, required: true), compat)
    }

    static func libbpfHeaderVersion(_ text: String) -> (major: Int, minor: Int)? {
        func value(_ name: String) -> Int? {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count >= 3, parts[0] == "#define", parts[1] == name { return Int(parts[2]) }
            }
            return nil
        }
        guard let major = value("LIBBPF_MAJOR_VERSION"), let minor = value("LIBBPF_MINOR_VERSION") else { return nil }
        return (major, minor)
    }

    struct HeaderRoot { var path: String; var origin: String }

    /// Roots that may hold `gadget/…h`, in priority order: -I, IG_SOURCE_PATH/include, the system, gadgetc's own.
    func gadgetHeaderRoots() -> [HeaderRoot] {
        var roots = userIncludeDirectories.map { HeaderRoot(path: $0, origin: "-I \($0)") }
        if let source = host.environment["IG_SOURCE_PATH"], !source.isEmpty {
            roots.append(HeaderRoot(path: "\(source)/include", origin: "IG_SOURCE_PATH"))
        }
        roots.append(HeaderRoot(path: "/usr/include", origin: "the system (/usr/include/gadget)"))
        if let bundle = bundledDirectory() {
            roots.append(HeaderRoot(path: "\(bundle)/include", origin: "gadgetc's bundled headers"))
        }
        return roots
    }

    /// gadgetc's `bpf/` folder: `$GADGETC_BPF_DIR`, else found upwards from the executable (a source
    /// checkout), else `<prefix>/share/gadgetc/bpf`.
    func bundledDirectory() -> String? {
        if let dir = host.environment["GADGETC_BPF_DIR"], !dir.isEmpty { return dir }
        var url = URL(fileURLWithPath: host.realPath("/proc/self/exe")).deletingLastPathComponent()
        for _ in 0..<5 {
            for candidate in [url.appendingPathComponent("bpf"), url.appendingPathComponent("share/gadgetc/bpf")]
            where host.fileExists(candidate.appendingPathComponent("include/gadget/macros.h").path) {
                return candidate.path
            }
            url.deleteLastPathComponent()
        }
        return nil
    }

    func vmlinuxSource(for arch: Architecture, hostArch: Architecture?, roots: [String]) -> VmlinuxSource? {
        for dir in userIncludeDirectories {
            for candidate in ["\(dir)/gadget/\(arch)", "\(dir)/\(arch)"] where host.fileExists("\(candidate)/vmlinux.h") {
                return VmlinuxSource(kind: .file, includeDirectory: candidate, fingerprint: host.fingerprint("\(candidate)/vmlinux.h"))
            }
        }
        for root in roots where host.fileExists("\(root)/gadget/\(arch)/vmlinux.h") {
            return VmlinuxSource(kind: .file, includeDirectory: "\(root)/gadget/\(arch)", fingerprint: host.fingerprint("\(root)/gadget/\(arch)/vmlinux.h"))
        }
        guard arch == hostArch, let btf = kernelBTFPath() else { return nil }
        let folder = GeneratedVmlinux.folder(for: arch, btfFingerprint: host.fingerprint(btf) ?? "unknown", cache: cache)
        if host.fileExists("\(folder.path)/vmlinux.h"), FileSeal.isSealed("\(folder.path)/vmlinux.h", host: host) {
            return VmlinuxSource(kind: .file, includeDirectory: folder.path, btfPath: btf, fingerprint: host.fingerprint("\(folder.path)/vmlinux.h"))
        }
        return VmlinuxSource(kind: .kernelBTF, includeDirectory: folder.path, btfPath: btf)
    }

    func kernelBTFPath() -> String? {
        let path = host.environment["GADGETC_KERNEL_BTF"] ?? "/sys/kernel/btf/vmlinux"
        return host.fileExists(path) ? path : nil
    }

    func vmlinuxCapability(arch: Architecture, source: VmlinuxSource?, hostArch: Architecture?) -> Capability {
        let name = "vmlinux.h (\(arch))"
        guard let source else {
            let fix = arch == hostArch
                ? "this kernel has no BTF at /sys/kernel/btf/vmlinux: install Inspektor Gadget's headers or pass -I DIR with \(arch)/vmlinux.h"
                : "install Inspektor Gadget's headers (/usr/include/gadget/\(arch)/vmlinux.h) or pass -I DIR holding \(arch)/vmlinux.h; gadgets without vmlinux.h still build"
            return Capability(name: name, found: false, detail: "no vmlinux.h for \(arch)", fix: fix, required: false)
        }
        switch source.kind {
        case .file:
            let generated = source.btfPath.map { " (generated from \($0))" } ?? ""
            return Capability(name: name, found: true, path: "\(source.includeDirectory)/vmlinux.h", detail: "on disk\(generated)", required: false)
        case .kernelBTF:
            return Capability(name: name, found: true, path: source.btfPath,
                              detail: "generated in-process from the kernel's BTF on first use and cached in \(source.includeDirectory)", required: false)
        }
    }

    /// libclang is optional: `gadgetc check` loads it; builds never need it.
    func libclangCapability() -> Capability {
        if let path = Libclang.find(listDirectory: host.listDirectory, architecture: host.architecture) {
            return Capability(name: "libclang", found: true, path: path, detail: "optional; loaded at run time by gadgetc check", required: false)
        }
        return Capability(name: "libclang", found: false, detail: "optional; not needed to build",
                          fix: "apt-get install libclang1-16", required: false)
    }

    /// bpftool is optional: `--btfgen` runs it (in the builder image when the build runs there).
    func bpftoolCapability() async -> Capability {
        let name = "bpftool"
        guard let path = BPFTool.locate(environment: host.environment, isExecutable: host.isExecutableFile) else {
            return Capability(name: name, found: false, detail: "optional; --btfgen needs it on the host for native builds",
                              fix: "apt-get install bpftool", required: false)
        }
        guard let result = await host.run([path, "version"]), result.succeeded, let version = BPFTool.parseVersion(result.standardOutput) else {
            return Capability(name: name, found: false, path: path, detail: "\(path) did not answer `bpftool version`",
                              fix: "apt-get install --reinstall bpftool", required: false)
        }
        return Capability(name: name, found: true, path: path, version: version,
                          detail: "optional; --btfgen runs its gen min_core_btf", required: false)
    }

    /// The engine socket is only reported here; building through it is the container toolchain's job.
    func engineCapability() -> Capability {
        let socket: EngineSocket
        do {
            socket = try EngineSocket.discover(option: engineOption, environment: host.environment, fileExists: host.isSocket)
        } catch {
            return Capability(name: "container engine", found: false, detail: "\(error)",
                              fix: "start docker or podman, or pass --container-host unix://PATH", required: false)
        }
        return Capability(name: "container engine", found: true, path: socket.path, detail: "socket from \(socket.source)", required: false)
    }

}
