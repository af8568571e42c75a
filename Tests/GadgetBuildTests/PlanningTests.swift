import Foundation
import Testing
@testable import GadgetBuild

@Suite struct PlanningTests {
    let layout = IncludeLayout(multiarchDirectory: "/usr/include/x86_64-linux-gnu", gadgetHeadersRoot: nil,
                               libbpfCompatDirectory: nil, userDirectories: [])

    @Test func compileLineIsIgs() {
        let argv = ClangInvocation.igCompile(clang: "clang", arch: .amd64, source: "program.bpf.c", output: "amd64.bpf.o",
                                             vmlinuxDirectory: "/usr/include/gadget/amd64", layout: layout).arguments
        #expect(argv.joined(separator: " ") == "clang -target bpf -Wall -g -O2 -I/usr/include/x86_64-linux-gnu -D __TARGET_ARCH_x86 -c program.bpf.c -I /usr/include/gadget/amd64/ -o amd64.bpf.o")
        let arm = ClangInvocation.igCompile(clang: "clang", arch: .arm64, source: "program.bpf.c", output: "arm64.bpf.o",
                                            vmlinuxDirectory: nil, layout: layout).arguments
        // ig passes the build host's multiarch folder for arm64 too.
        #expect(arm.joined(separator: " ") == "clang -target bpf -Wall -g -O2 -I/usr/include/x86_64-linux-gnu -D __TARGET_ARCH_arm64 -c program.bpf.c -I /usr/include/gadget/arm64/ -o arm64.bpf.o")
    }

    @Test func hostFoldersFollowIgsFlags() {
        let extended = IncludeLayout(multiarchDirectory: "/usr/include/x86_64-linux-gnu", gadgetHeadersRoot: "/opt/gadgetc/bpf/include",
                                     libbpfCompatDirectory: "/opt/gadgetc/bpf/compat", userDirectories: ["/mine"])
        let argv = ClangInvocation.igCompile(clang: "clang", arch: .amd64, source: "program.bpf.c", output: "o",
                                             vmlinuxDirectory: "/cache/vmlinux/amd64", layout: extended).arguments
        #expect(Array(argv.suffix(10)) == ["-I", "/cache/vmlinux/amd64/", "-I", "/mine", "-I", "/opt/gadgetc/bpf/compat",
                                            "-I", "/opt/gadgetc/bpf/include", "-o", "o"])
    }

    @Test func theGadgetFolderIsRecordedAsTheCompilesWorkingFolder() async throws {
        // Compiles record the real paths (clang reads each line's text from them); the link maps them
        // to the builder's: the gadget folder to /work, gadgetc's folders under /usr/include.
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        let planner = BuildPlanner(probe: report)
        let plan = try planner.plan(BuildRequest(gadgetFolder: "/home/me/src/trace", architectures: [.amd64, .arm64]),
                                    gadget: GadgetFolder(root: URL(fileURLWithPath: "/home/me/src/trace"), ebpfSources: ["program.bpf.c"]),
                                    workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        #expect(plan.jobs(.compile).allSatisfy { job in !job.argv.contains { $0.hasPrefix("-ffile-prefix-map") } })
        for link in plan.jobs(.link) {
            let map = try #require(link.pathMap)
            #expect(map.first == DebugPathMapping(from: "/home/me/src/trace", to: "/work"))
            let layout = try #require(report.includeLayout)
            for folder in [layout.gadgetHeadersRoot, layout.libbpfCompatDirectory].compactMap({ $0 }) {
                #expect(map.contains(DebugPathMapping(from: folder, to: "/usr/include")))
            }
            if let vmlinux = report.vmlinux[link.arch!.rawValue] {
                #expect(map.contains(DebugPathMapping(from: vmlinux.includeDirectory, to: "/usr/include/gadget/\(link.arch!)")))
            }
        }
        let mapped = planner.containerPathMap
        #expect(mapped.first == DebugPathMapping(from: "/work", to: "/work"), "the builder container's compile runs at /work")
        #expect(mapped.dropFirst().allSatisfy { $0 == DebugPathMapping(from: "/gadgetc/compat", to: "/usr/include") })
        // The cache does not reuse a link made with another map.
        #expect(BuildCache.linkKey(inputDigests: ["a"], libbpfVersion: "1.1", pathMap: mapped)
                != BuildCache.linkKey(inputDigests: ["a"], libbpfVersion: "1.1", pathMap: []))
    }

    @Test func pathMapsReplaceWholeLeadingComponentsLongestFirst() {
        let map = DebugPathMap([DebugPathMapping(from: "/g/trace", to: "/work"), DebugPathMapping(from: "/g/trace/inc/", to: "/usr/include"),
                                DebugPathMapping(from: "/", to: "/x")])
        func mapped(_ path: String) -> String? { map.map(Array(path.utf8)[...]).map { String(decoding: $0, as: UTF8.self) } }
        #expect(mapped("/g/trace/program.bpf.c") == "/work/program.bpf.c")
        #expect(mapped("/g/trace/inc/gadget/buffer.h") == "/usr/include/gadget/buffer.h")
        #expect(mapped("/g/trace") == "/work")
        #expect(mapped("/g/tracer/program.bpf.c") == nil, "whole components only")
        #expect(mapped("/usr/include/bpf/bpf_helpers.h") == nil, "'/' maps nothing")
        #expect(mapped("program.bpf.c") == nil)
    }

    @Test func aPCHCompileHasACheckOnAnEmptyFile() throws {
        let invocation = ClangInvocation(clang: "clang", arch: .amd64, multiarchDirectory: "/usr/include/x86_64-linux-gnu",
                                         action: .compile(source: "program.bpf.c"), includeDirectories: ["/v/"],
                                         precompiledHeader: "/c/v.pch", depfile: "/w/a.o.d", output: "/w/a.o")
        let job = Job.compile(invocation, workingDirectory: "/g", outputs: ["/w/a.o"])
        #expect(job.argv == ["clang", "-target", "bpf", "-Wall", "-g", "-O2", "-I/usr/include/x86_64-linux-gnu", "-D", "__TARGET_ARCH_x86",
                             "-c", "program.bpf.c", "-I", "/v/", "-include-pch", "/c/v.pch", "-fpch-validate-input-files-content",
                             "-MD", "-MF", "/w/a.o.d", "-o", "/w/a.o"])
        #expect(job.precompiledHeader == "/c/v.pch")
        #expect(job.depfile == "/w/a.o.d")
        #expect(job.precompiledHeaderCheck == ["clang", "-target", "bpf", "-Wall", "-g", "-O2", "-I/usr/include/x86_64-linux-gnu", "-D", "__TARGET_ARCH_x86",
                                               "-fsyntax-only", "-x", "c", "/dev/null", "-I", "/v/",
                                               "-include-pch", "/c/v.pch", "-fpch-validate-input-files-content"])
        let without = try #require(job.withoutPrecompiledHeader)
        #expect(without.precompiledHeaderCheck == nil)
        #expect(!without.argv.contains("-include-pch") && without.argv.suffix(2) == ["-o", "/w/a.o"])
        // The cache key names neither the output nor the depfile: where the object goes does not change it.
        #expect(invocation.keyArguments.contains("<output>") && invocation.keyArguments.contains("<depfile>"))
        #expect(!invocation.keyArguments.contains("/w/a.o") && invocation.keyArguments.first == "-target")
    }

    func folder(sources: [String]) -> GadgetFolder {
        GadgetFolder(root: URL(fileURLWithPath: "/g/trace"), ebpfSources: sources)
    }

    @Test func planPerArchCompileLinkCheck() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        let plan = try BuildPlanner(probe: report).plan(
            BuildRequest(gadgetFolder: "/g/trace", verify: true), gadget: folder(sources: ["program.bpf.c", "maps.bpf.c"]),
            workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        #expect(plan.jobs.map(\.kind) == [.compile, .compile, .link, .check, .verify, .compile, .compile, .link, .check, .verify])
        #expect(plan.jobs(.compile).allSatisfy { $0.workingDirectory == "/g/trace" && $0.argv.first == "/usr/bin/clang-16" })
        #expect(plan.jobs(.compile).map { $0.outputs[0] } == ["/w/amd64/amd64.bpf.o", "/w/amd64/maps.bpf.o", "/w/arm64/arm64.bpf.o", "/w/arm64/maps.bpf.o"])
        #expect(plan.jobs(.link).first?.inputs == ["/w/amd64/amd64.bpf.o", "/w/amd64/maps.bpf.o"])
        #expect(plan.programs == ["amd64": "/w/amd64.bpf.o", "arm64": "/w/arm64.bpf.o"])
    }

    @Test func generatesVmlinuxWhenOnlyBTFExists() async throws {
        var host = FakeHost.debian()
        host.files["/usr/include/gadget/amd64/vmlinux.h"] = nil
        let cache = try TemporaryFolder("plan-btf")
        defer { cache.remove() }
        let report = await HostProbe(host: host, cache: CacheLocation(root: cache.url)).run()
        let plan = try BuildPlanner(probe: report).plan(
            BuildRequest(gadgetFolder: "/g/trace", architectures: [.amd64]), gadget: folder(sources: ["program.bpf.c"]),
            workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        #expect(plan.jobs.first?.kind == .generateVmlinux)
        let vmlinuxDir = try #require(report.vmlinux["amd64"]).includeDirectory
        #expect(plan.jobs(.compile).first?.argv.contains("\(vmlinuxDir)/") == true)
    }

    @Test func containerToolchainIsNotThereYet() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        #expect(throws: PlanningError.self) {
            try BuildPlanner(probe: report).plan(BuildRequest(gadgetFolder: "/g", toolchain: .container), gadget: folder(sources: ["program.bpf.c"]),
                                                 workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        }
    }

    @Test func noToolchainListsWhatIsMissing() async throws {
        let report = await HostProbe(host: FakeHost(), cache: nil).run()
        do {
            _ = try BuildPlanner(probe: report).plan(BuildRequest(gadgetFolder: "/g"), gadget: folder(sources: ["program.bpf.c"]),
                                                     workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
            Issue.record("expected an error")
        } catch let error as PlanningError {
            #expect(error.description.contains("apt-get install libbpf-dev"))
        }
    }

    @Test func architectureLists() throws {
        #expect(try Architecture.parseList("arm64,amd64") == [.amd64, .arm64])
        #expect(try Architecture.parseList("x86_64") == [.amd64])
        #expect(throws: PlanningError.unknownArchitecture("riscv")) { try Architecture.parseList("amd64,riscv") }
    }
}

@Suite struct ToolchainSelectionTests {
    /// amd64 has a vmlinux.h on the host, arm64 has none, and an engine answers.
    func report() async -> ProbeReport {
        var host = FakeHost.debian()
        host.sockets = ["/var/run/docker.sock"]
        return await HostProbe(host: host, cache: nil).run()
    }

    func plan(_ toolchain: ToolchainChoice, includesVmlinux: Bool) async throws -> BuildPlan {
        var folder = GadgetFolder(root: URL(fileURLWithPath: "/g/trace"), ebpfSources: ["program.bpf.c"])
        folder.includesVmlinux = includesVmlinux
        return try BuildPlanner(probe: await report()).plan(
            BuildRequest(gadgetFolder: "/g/trace", toolchain: toolchain, container: ContainerSettings(image: "registry.test/builder:v1")),
            gadget: folder, workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
    }

    @Test func autoMixesNativeAndContainerPerArch() async throws {
        let plan = try await plan(.auto, includesVmlinux: true)
        #expect(plan.toolchains.map(\.toolchain) == [.native, .container])
        #expect(plan.toolchains[1].reasons.first?.contains("none for arm64") == true)
        let arm = try #require(plan.jobs(.compile).first { $0.arch == .arm64 })
        #expect(arm.toolchain == .container && arm.workingDirectory == "/work")
        #expect(arm.argv.prefix(6) == ["clang", "-target", "bpf", "-Wall", "-g", "-O2"])
        #expect(arm.argv.contains("/usr/include/gadget/arm64/"))
        #expect(arm.outputs == ["/w/arm64/arm64.bpf.o"])
        #expect(arm.hostPath("/work/local.h") == "/g/trace/local.h" && arm.hostPath("/usr/include/bpf/bpf_helpers.h") == nil)
        #expect(plan.container?.image == "registry.test/builder:v1")
        #expect(plan.compiler?.path == "/usr/bin/clang-16")
    }

    @Test func autoStaysNativeWhenTheGadgetNeedsNoVmlinux() async throws {
        #expect(try await plan(.auto, includesVmlinux: false).toolchains.map(\.toolchain) == [.native, .native])
    }

    @Test func explicitChoicesWin() async throws {
        #expect(try await plan(.container, includesVmlinux: false).toolchains.map(\.toolchain) == [.container, .container])
        #expect(try await plan(.native, includesVmlinux: true).toolchains.map(\.toolchain) == [.native, .native])
    }

    @Test func withoutAnEngineAMissingVmlinuxSaysWhatToDo() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        var folder = GadgetFolder(root: URL(fileURLWithPath: "/g/trace"), ebpfSources: ["program.bpf.c"])
        folder.includesVmlinux = true
        #expect(throws: PlanningError.missingVmlinux(arch: .arm64)) {
            try BuildPlanner(probe: report).plan(BuildRequest(gadgetFolder: "/g/trace"), gadget: folder,
                                                 workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        }
    }
}

/// The environment gadgetc gives the host's clang: huge-page malloc, the user's own tunables kept.
@Suite struct ClangEnvironmentTests {
    @Test func addsTheHugePageTunableToWhatTheUserSet() {
        #expect(ClangEnvironment.additions(to: [:]) == ["GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"])
        #expect(ClangEnvironment.additions(to: ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"])
                == ["GLIBC_TUNABLES": "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"])
        #expect(ClangEnvironment.additions(to: ["GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"]).isEmpty, "the user's choice stands")
    }

    @Test func nativeCompilesAndPCHsGetItContainerCompilesDoNot() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        let environment = ClangEnvironment.additions(to: [:])
        var gadget = GadgetFolder(root: URL(fileURLWithPath: "/g/trace"), ebpfSources: ["program.bpf.c"])
        gadget.sourcesStartingWithVmlinux = ["program.bpf.c"]
        let cache = try TemporaryFolder("plan-env")
        defer { cache.remove() }
        let plan = try BuildPlanner(probe: report, cache: CacheLocation(root: cache.url), clangEnvironment: environment)
            .plan(BuildRequest(gadgetFolder: "/g/trace", architectures: [.amd64]), gadget: gadget,
                  workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        #expect(plan.jobs(.compile).allSatisfy { $0.environment == environment })
        #expect(plan.precompiledHeadersToBuild.allSatisfy { $0.environment == environment })
        #expect(!plan.precompiledHeadersToBuild.isEmpty)
    }
}
