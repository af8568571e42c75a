import Foundation
import Testing
@testable import GadgetBuild

@Suite struct ClangCompilerTests {
    @Test func parsesVersions() {
        #expect(ClangCompiler.parseVersion("Debian clang version 16.0.6 (15~deb12u1)\nTarget: x")?.major == 16)
        #expect(ClangCompiler.parseVersion("clang version 21.0.0 (https://github.com/swiftlang/llvm-project.git abc)")?.version == "21.0.0")
        #expect(ClangCompiler.parseVersion("gcc (Debian 12.2.0-14) 12.2.0") == nil)
    }

    @Test func seesTheBPFTarget() {
        #expect(ClangCompiler.listsBPF("  Registered Targets:\n    bpf        - BPF (host endian)\n"))
        #expect(!ClangCompiler.listsBPF("  Registered Targets:\n    bpfel      - BPF (little endian)\n    x86-64 - X\n"))
    }

    func compiler(_ major: Int, bpf: Bool = true) -> ClangCompiler {
        ClangCompiler(path: "/usr/bin/clang-\(major)", versionLine: "clang version \(major).0.0", version: "\(major).0.0", major: major, hasBPFTarget: bpf)
    }

    @Test func prefersTheBuilderVersion() {
        let picked = ClangLocator.choose(from: [compiler(21), compiler(14), compiler(16)], overridden: false)
        #expect(picked?.0.major == 16)
        #expect(picked?.1.contains("nearest") == true)
        #expect(ClangLocator.choose(from: [compiler(21), compiler(18)], overridden: false)?.0.major == 18)
        #expect(ClangLocator.choose(from: [compiler(19), compiler(17)], overridden: false)?.0.major == 17)
    }

    @Test func ignoresClangsWithoutBPF() {
        #expect(ClangLocator.choose(from: [compiler(18, bpf: false), compiler(21)], overridden: false)?.0.major == 21)
        #expect(ClangLocator.choose(from: [compiler(18, bpf: false)], overridden: false) == nil)
    }
}

@Suite struct HostProbeTests {
    @Test func debianHostBuildsNatively() async {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        #expect(report.chosenCompiler?.path == "/usr/bin/clang-16")
        #expect(report.decision(for: .amd64)?.toolchain == .native)
        #expect(report.decision(for: .arm64)?.toolchain == .native)
        #expect(report.decision(for: .arm64)?.reasons.contains { $0.contains("no vmlinux.h for arm64") } == true)
        #expect(report.vmlinux["amd64"]?.includeDirectory == "/usr/include/gadget/amd64")
        #expect(report.includeLayout?.gadgetHeadersRoot == nil)
        #expect(report.capability("libbpf headers")?.version == "1.1")
    }

    @Test func prefersClangNearestTheBuilder() async {
        var host = FakeHost.debian()
        host.addClang("/usr/bin/clang", version: "21.0.0")
        host.addClang("/usr/bin/clang-14", version: "14.0.6")
        let report = await HostProbe(host: host, cache: nil).run()
        #expect(report.chosenCompiler?.major == 16)
        #expect(report.compilers.count == 3)
        #expect(report.compilers.first?.major == 16)
    }

    @Test func overrideWins() async {
        var host = FakeHost.debian()
        host.addClang("/opt/llvm/bin/clang", version: "21.0.0")
        host.environment["GADGETC_CLANG"] = "/opt/llvm/bin/clang"
        let report = await HostProbe(host: host, cache: nil).run()
        #expect(report.chosenCompiler?.path == "/opt/llvm/bin/clang")
        #expect(report.compilerReason == "set by GADGETC_CLANG")
    }

    @Test func overrideWithoutBPFIsMissing() async {
        var host = FakeHost.debian()
        host.addClang("/opt/old/clang", version: "10.0.0", bpf: false)
        host.environment["GADGETC_CLANG"] = "/opt/old/clang"
        let report = await HostProbe(host: host, cache: nil).run()
        #expect(report.chosenCompiler == nil)
        #expect(report.decision(for: .amd64)?.toolchain == ToolchainDecision.Toolchain.none)
        #expect(report.missingRequirements.first?.contains("GADGETC_CLANG") == true)
    }

    @Test func bareHostSaysWhatToInstall() async {
        var host = FakeHost()
        host.environment["PATH"] = "/usr/bin"
        let report = await HostProbe(host: host, cache: nil).run()
        #expect(report.decisions.allSatisfy { $0.toolchain == .none })
        let missing = report.missingRequirements.joined(separator: "\n")
        #expect(missing.contains("apt-get install clang"))
        #expect(missing.contains("apt-get install libbpf-dev"))
        #expect(missing.contains("apt-get install linux-libc-dev"))
        #expect(missing.contains("gadget headers"))
    }

    @Test func gadgetHeaderSearchOrder() async {
        var host = FakeHost.debian()
        host.files["/src/ig/include/gadget/macros.h"] = ""
        host.environment["IG_SOURCE_PATH"] = "/src/ig"
        var report = await HostProbe(host: host, cache: nil).run()
        #expect(report.includeLayout?.gadgetHeadersRoot == "/src/ig/include")
        host.files["/mine/gadget/macros.h"] = ""
        host.files["/mine/gadget/arm64/vmlinux.h"] = ""
        report = await HostProbe(host: host, cache: nil, userIncludeDirectories: ["/mine"]).run()
        #expect(report.includeLayout?.gadgetHeadersRoot == "/mine")
        #expect(report.vmlinux["arm64"]?.includeDirectory == "/mine/gadget/arm64")
    }

    @Test func vmlinuxFromKernelBTFForTheHostArchOnly() async throws {
        var host = FakeHost.debian()
        host.files["/usr/include/gadget/amd64/vmlinux.h"] = nil
        let cache = try TemporaryFolder("probe-btf")
        defer { cache.remove() }
        let report = await HostProbe(host: host, cache: CacheLocation(root: cache.url)).run()
        #expect(report.vmlinux["amd64"]?.kind == .kernelBTF)
        #expect(report.vmlinux["amd64"]?.btfPath == "/sys/kernel/btf/vmlinux")
        #expect(report.vmlinux["arm64"] == nil)
    }

    @Test func oldLibbpfHeadersGetTheOverlay() async {
        var host = FakeHost.debian()
        host.environment["GADGETC_BPF_DIR"] = "/share/bpf"
        host.files["/share/bpf/compat/bpf/bpf_tracing.h"] = ""
        var report = await HostProbe(host: host, cache: nil).run()
        #expect(report.includeLayout?.libbpfCompatDirectory == "/share/bpf/compat")
        host.files["/usr/include/bpf/libbpf_version.h"] = "#define LIBBPF_MAJOR_VERSION 1\n#define LIBBPF_MINOR_VERSION 3\n"
        report = await HostProbe(host: host, cache: nil).run()
        #expect(report.includeLayout?.libbpfCompatDirectory == nil)
    }

    @Test func reportIsStableJSON() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let decoded = try JSONDecoder().decode(ProbeReport.self, from: encoder.encode(report))
        #expect(decoded == report)
    }
}

@Suite struct EngineProbeTests {
    func bareHostWithEngine(_ status: EngineStatus?) -> FakeHost {
        var host = FakeHost()
        host.sockets = ["/var/run/docker.sock"]
        host.engine = status
        return host
    }

    @Test func noNativeToolchainButAnEngineChoosesTheContainer() async {
        let host = bareHostWithEngine(EngineStatus(kind: "Docker", version: "28.2.2", apiVersion: "1.50", rootless: false,
                                                   image: "ghcr.io/x/builder:v1", imagePresent: true))
        let report = await HostProbe(host: host, cache: nil, builderImage: "ghcr.io/x/builder:v1").run()
        #expect(report.decisions.allSatisfy { $0.toolchain == .container })
        let engine = report.capability("container engine")
        #expect(engine?.found == true && engine?.version == "28.2.2")
        #expect(engine?.detail.contains("rootful") == true && engine?.detail.contains("present") == true)
    }

    @Test func anEngineThatDoesNotAnswerIsMissing() async {
        let report = await HostProbe(host: bareHostWithEngine(nil), cache: nil, builderImage: "ghcr.io/x/builder:v1").run()
        #expect(report.capability("container engine")?.found == false)
        #expect(report.decisions.allSatisfy { $0.toolchain == ToolchainDecision.Toolchain.none })
    }

    @Test func builtWithoutAskingTheEngineOnlySeesTheSocket() async {
        let report = await HostProbe(host: bareHostWithEngine(nil), cache: nil).run()
        #expect(report.capability("container engine")?.found == true)
        #expect(report.engine == nil)
    }
}

@Suite struct LazyCompilerChoiceTests {
    func choice(_ host: FakeHost) async -> String? {
        await ClangLocator(host: host, cache: nil).chooseForBuild().chosen?.0.path
    }

    @Test func agreesWithTheFullDiscovery() async {
        var host = FakeHost.debian()
        host.addClang("/usr/bin/clang-21", version: "21.0.0")
        host.addClang("/usr/bin/clang-14", version: "14.0.6")
        #expect(await choice(host) == "/usr/bin/clang-16")
        let full = ClangLocator.choose(from: await ClangLocator(host: host, cache: nil).discover(), overridden: false)
        #expect(full?.0.path == "/usr/bin/clang-16")
    }

    @Test func skipsTheNearestWhenItLacksBPF() async {
        var host = FakeHost()
        host.addClang("/usr/bin/clang-18", version: "18.1.0", bpf: false)
        host.addClang("/usr/bin/clang-16", version: "16.0.6")
        #expect(await choice(host) == "/usr/bin/clang-16")
    }

    @Test func anUnversionedNameIsRunToLearnItsVersion() async {
        var host = FakeHost()
        host.addClang("/usr/bin/clang", version: "18.1.8")
        host.addClang("/usr/bin/clang-14", version: "14.0.6")
        #expect(await choice(host) == "/usr/bin/clang")
    }

    @Test func aMisleadingNameIsReordered() async {
        var host = FakeHost()
        host.addClang("/usr/bin/clang-18", version: "11.0.0")  // a clang-18 that is really clang 11
        host.addClang("/usr/bin/clang-16", version: "16.0.6")
        #expect(await choice(host) == "/usr/bin/clang-16")
    }

    @Test func provisionallyTakesTheNearestNameWithoutRunningIt() async throws {
        var host = FakeHost()
        host.addClang("/usr/bin/clang-21", version: "21.0.0")
        host.addClang("/usr/bin/clang-16", version: "16.0.6")
        let locator = ClangLocator(host: host, cache: nil)
        let (_, chosen) = await locator.chooseForBuild(provisionally: true)
        let compiler = try #require(chosen?.0)
        #expect(compiler.path == "/usr/bin/clang-16" && compiler.major == 16 && compiler.isProvisional)
        // Its identification confirms it; another version or a missing BPF target would not.
        let identified = try #require(await locator.identify("/usr/bin/clang-16"))
        #expect(identified.confirms(compiler) && !identified.isProvisional)
        var other = identified
        other.major = 18
        #expect(!other.confirms(compiler))
        other = identified
        other.hasBPFTarget = false
        #expect(!other.confirms(compiler))
    }

    @Test func provisionallyStillRunsWhatTheNameDoesNotTell() async {
        var host = FakeHost()
        host.addClang("/usr/bin/clang", version: "18.1.8")  // no version in the name: run it
        host.addClang("/usr/bin/clang-14", version: "14.0.6")
        let chosen = await ClangLocator(host: host, cache: nil).chooseForBuild(provisionally: true).chosen?.0
        #expect(chosen?.path == "/usr/bin/clang" && chosen?.isProvisional == false && chosen?.version == "18.1.8")
    }

    @Test func aProvisionalCompilerHasItsIdentityBeforeItRuns() async throws {
        // The identity is the binary (path and fingerprint): the same before and after identification,
        // so a first build's cache entries and PCH are found by the builds that know the compiler.
        let host = FakeHost.debian()
        let locator = ClangLocator(host: host, cache: nil)
        let provisional = try #require(await locator.chooseForBuild(provisionally: true).chosen?.0)
        let identified = try #require(await locator.identify(provisional.path))
        #expect(provisional.isProvisional && provisional.identity == identified.identity)
        let vmlinux = VmlinuxSource(kind: .file, includeDirectory: "/h/amd64", fingerprint: "1-2-3-4")
        let layout = IncludeLayout(multiarchDirectory: "/usr/include/x86_64-linux-gnu", gadgetHeadersRoot: nil, libbpfCompatDirectory: nil, userDirectories: [])
        let cache = CacheLocation(root: URL(fileURLWithPath: "/tmp/none"))
        let before = PrecompiledHeader.plan(compiler: provisional, arch: .amd64, vmlinux: vmlinux, layout: layout, cache: cache)
        let after = PrecompiledHeader.plan(compiler: identified, arch: .amd64, vmlinux: vmlinux, layout: layout, cache: cache)
        #expect(before != nil && before?.output == after?.output)
        // Another binary at the same path is another compiler.
        var rebuilt = identified
        rebuilt.binaryFingerprint = "another"
        #expect(rebuilt.identity != identified.identity && !rebuilt.confirms(provisional))
    }

}
