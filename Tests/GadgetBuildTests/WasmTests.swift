import Foundation
import Testing
@testable import GadgetBuild

/// The wasm step as data: ig's command lines, the cache key's parts, what the toolchains report, and
/// the binary module reader.
@Suite struct WasmBuildPlanTests {
    @Test func goLineIsIgsWithTrimpath() {
        let build = WasmBuild.go(tool: "go", source: "/g/trace/go/program.go", module: "/w/program.wasm")
        #expect(build.commandLine == ["go", "build", "-C", "/g/trace/go", "-o", "/w/program.wasm", "-buildmode=c-shared", "-trimpath",
                                      "-ldflags", "-w -s", "program.go"])
        #expect(build.environment == ["CGO_ENABLED": "0", "GOOS": "wasip1", "GOARCH": "wasm"])
    }

    @Test func rustLineIsIgsWithTheTargetTheToolchainHas() {
        let build = WasmBuild.rust(tool: "/usr/bin/cargo", manifest: "/g/t/rust/Cargo.toml", target: "wasm32-wasi",
                                   targetDirectory: "/c/cargo/1", module: "/w/program.wasm", environment: ["RUSTC": "/usr/bin/rustc"])
        #expect(build.commandLine == ["/usr/bin/cargo", "build", "--target", "wasm32-wasi", "--release", "--manifest-path", "/g/t/rust/Cargo.toml"])
        #expect(build.environment == ["CARGO_TARGET_DIR": "/c/cargo/1", "RUSTC": "/usr/bin/rustc"])
        #expect(build.cargoProduct(crate: "my_mod") == "/c/cargo/1/wasm32-wasi/release/my_mod.wasm")
    }

    @Test func theKeyLeavesOutWhereTheModuleGoesAndKeepsTheUsersFlags() {
        let one = WasmBuild.go(tool: "go", source: "/g/go/program.go", module: "/tmp/a/program.wasm")
        let two = WasmBuild.go(tool: "go", source: "/g/go/program.go", module: "/tmp/b/program.wasm")
        #expect(one.keyParts(userEnvironment: [:]) == two.keyParts(userEnvironment: [:]))
        #expect(one.keyParts(userEnvironment: [:]) != one.keyParts(userEnvironment: ["GOFLAGS": "-tags=x"]))
        #expect(one.keyParts(userEnvironment: ["HOME": "/a"]) == one.keyParts(userEnvironment: ["HOME": "/b"]))
        let rustA = WasmBuild.rust(tool: "cargo", manifest: "/g/Cargo.toml", target: "wasm32-wasip1", targetDirectory: "/a", module: "/x")
        let rustB = WasmBuild.rust(tool: "cargo", manifest: "/g/Cargo.toml", target: "wasm32-wasip1", targetDirectory: "/b", module: "/y")
        #expect(rustA.keyParts(userEnvironment: [:]) == rustB.keyParts(userEnvironment: [:]))
        #expect(rustA.keyParts(userEnvironment: [:]) != rustA.keyParts(userEnvironment: ["RUSTFLAGS": "-C opt-level=0"]))
    }

    @Test func goListOutputNamesEachPackagesFilesAndEachModulesGoModAndGoSum() {
        let output = "/g/go/exitcode\texitcode.go\thelpers.go\n\u{1}/g/go/go.mod\n/g/go\tprogram.go\n\u{1}/g/go/go.mod\n/m/x@v1\tx.go\tdata.txt\n\u{1}/m/x@v1/go.mod\n"
        #expect(WasmBuild.goListFiles(output) == ["/g/go/exitcode/exitcode.go", "/g/go/exitcode/helpers.go", "/g/go/go.mod", "/g/go/go.sum",
                                                  "/g/go/program.go", "/m/x@v1/x.go", "/m/x@v1/data.txt", "/m/x@v1/go.mod", "/m/x@v1/go.sum"])
    }

    @Test func theCrateNameIsTheFirstNameLineAsIgReadsIt() {
        #expect(WasmBuild.crateModuleName(manifestText: "[package]\nname = \"trace-exit-rust\"\nversion = \"0.1.0\"\n") == "trace_exit_rust")
        #expect(WasmBuild.crateModuleName(manifestText: "[package]\nnamespace = 1\nname='x'\n") == "x")
        #expect(WasmBuild.crateModuleName(manifestText: "[package]\nversion = \"1\"\n") == nil)
    }

    @Test func goVersionsFromWasip1On() {
        #expect(WasmCompiler.parseGoVersion("go version go1.27.3 linux/amd64\n") == "go1.27.3")
        #expect(WasmCompiler.goSupportsWasip1("go1.21.0") && WasmCompiler.goSupportsWasip1("go1.27.3"))
        #expect(!WasmCompiler.goSupportsWasip1("go1.19.8") && !WasmCompiler.goSupportsWasip1("go1.20"))
    }

    func report() async -> ProbeReport {
        var host = FakeHost.debian()
        host.sockets = ["/var/run/docker.sock"]
        return await HostProbe(host: host, cache: nil).run()
    }

    func goGadget() -> GadgetFolder {
        GadgetFolder(root: URL(fileURLWithPath: "/g/trace"), ebpfSources: ["program.bpf.c"],
                     wasm: .go(source: URL(fileURLWithPath: "/g/trace/go/program.go")))
    }

    @Test func theWasmStepRunsBesideTheCompilesNotAfterThem() async throws {
        let go = WasmCompiler(language: .go, path: "/usr/local/bin/go", version: "go1.27.3", identity: "go")
        let planner = BuildPlanner(probe: await report(), wasmHost: WasmHostContext(finding: WasmToolchainFinding(language: .go, compiler: go, problems: [])))
        let plan = try planner.plan(BuildRequest(gadgetFolder: "/g/trace"), gadget: goGadget(), workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        let index = try #require(plan.jobs.firstIndex { $0.kind == .wasm })
        #expect(try JobGraph(plan.jobs).prerequisites[index].isEmpty)
        #expect(plan.jobs[index].argv.first == "/usr/local/bin/go" && plan.jobs[index].toolchain == .native)
        #expect(plan.wasm?.toolchain == .native && plan.wasmModule == "/w/program.wasm")
        #expect(plan.container == nil)
    }

    @Test func withoutAHostToolchainTheBuilderBuildsItOfflineWithTheHostsModuleCache() async throws {
        let missing = WasmToolchainFinding(language: .go, compiler: nil, problems: ["/usr/bin/go is go1.19.8, too old for GOOS=wasip1 (needs go1.21)"])
        let planner = BuildPlanner(probe: await report(), wasmHost: WasmHostContext(finding: missing, toolCaches: "/c/wasm", goModuleCache: "/home/me/go/pkg/mod"))
        let plan = try planner.plan(BuildRequest(gadgetFolder: "/g/trace", container: ContainerSettings(image: "registry.test/builder:v1")),
                                    gadget: goGadget(), workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        let job = try #require(plan.jobs(.wasm).first)
        #expect(job.toolchain == .container && plan.container?.image == "registry.test/builder:v1")
        #expect(job.argv == ["go", "build", "-C", "/work/go", "-o", "/out/program.wasm", "-buildmode=c-shared", "-trimpath", "-ldflags", "-w -s", "program.go"])
        #expect(job.environment?["GOPROXY"] == "off" && job.environment?["GOMODCACHE"] == ContainerLayout.goModuleCache)
        #expect(plan.containerMounts.contains(ContainerMount(inside: ContainerLayout.goModuleCache, host: "/home/me/go/pkg/mod", writable: false)))
        #expect(plan.containerMounts.contains(ContainerMount(inside: ContainerLayout.goCache, host: "/c/wasm/go-build", writable: true)))
        #expect(job.hostPath("/gadgetc/go-mod/example.com/x@v1/x.go") == "/home/me/go/pkg/mod/example.com/x@v1/x.go")
        #expect(plan.wasm?.reasons.first?.contains("too old") == true)
    }

    @Test func anInTreeGadgetMountsInspektorGadgetsSourceForItsReplace() async throws {
        let planner = BuildPlanner(probe: await report(), wasmHost: WasmHostContext(igSourcePath: "/src/ig"))
        let gadget = GadgetFolder(root: URL(fileURLWithPath: "/src/ig/gadgets/trace_dns"), ebpfSources: ["program.bpf.c"],
                                  wasm: .go(source: URL(fileURLWithPath: "/src/ig/gadgets/trace_dns/go/program.go")))
        let plan = try planner.plan(BuildRequest(gadgetFolder: gadget.root.path, toolchain: .container), gadget: gadget,
                                    workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        let job = try #require(plan.jobs(.wasm).first)
        #expect(job.argv[3] == "\(ContainerLayout.igSource)/gadgets/trace_dns/go")
        #expect(plan.containerMounts.contains(ContainerMount(inside: ContainerLayout.igSource, host: "/src/ig", writable: false)))
    }

    @Test func nativeWithoutTheToolchainNamesWhatToInstall() async throws {
        let planner = BuildPlanner(probe: await report(), wasmHost: WasmHostContext(finding: WasmToolchainFinding(language: .go, compiler: nil, problems: [])))
        let error = #expect(throws: PlanningError.self) {
            try planner.plan(BuildRequest(gadgetFolder: "/g/trace", toolchain: .native), gadget: goGadget(),
                             workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        }
        #expect(error?.description.contains("install Go 1.21 or newer") == true)
    }
}

@Suite struct WasmModuleTests {
    /// A module with one function type, one function `f` exported as `gadgetInit`, a memory and its export.
    static let module: [UInt8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
                                  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                  // type: () -> i32
                                  0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x6c, 0x6f, 0x67, 0x00, 0x00, // import env.log func 0
                                  0x03, 0x02, 0x01, 0x00,                                    // function: type 0
                                  0x05, 0x03, 0x01, 0x00, 0x01,                              // memory: min 1
                                  0x07, 0x17, 0x02, 0x0a] + Array("gadgetInit".utf8) + [0x00, 0x01,
                                  0x06] + Array("memory".utf8) + [0x02, 0x00,
                                  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b]           // code: i32.const 0

    @Test func readsExportsAndImports() throws {
        let module = try WasmModule(bytes: Data(Self.module))
        #expect(module.exports == [.init(name: "gadgetInit", kind: .function), .init(name: "memory", kind: .memory)])
        #expect(module.imports == ["env.log"])
        #expect(module.isReactor && module.exportedFunctions == ["gadgetInit"])
    }

    @Test func somethingElseIsRefusedWithTheReason() {
        #expect(throws: WasmModule.Malformed(reason: "no \\0asm magic")) { try WasmModule(bytes: Data("\u{7f}ELF\u{2}\u{1}\u{1}\u{0}".utf8)) }
        #expect(throws: WasmModule.Malformed.self) { try WasmModule(bytes: Data(Self.module.prefix(30))) }
        #expect(throws: WasmModule.Malformed(reason: "not version 1 of the binary format")) { try WasmModule(bytes: Data([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])) }
    }
}
