import Foundation
import Testing
@testable import GadgetBuild

/// Gadgets with a Go or Rust wasm module, built by the real gadgetc with the host's real go and cargo,
/// read back with skopeo.
@Suite(.serialized) struct WasmBuildTests {
    static let exports = ["gadgetInit", "gadgetStart", "gadgetStop"]

    /// A copy of a sample in a fresh folder, with its own cache and layout.
    struct Sandbox {
        let root: URL
        let gadget: URL
        var layout: URL { root.appendingPathComponent("layout") }
        var cache: URL { root.appendingPathComponent("cache") }

        init(_ sample: String) throws {
            root = try Fixtures.temporaryDirectory("wasm-\(sample)")
            gadget = root.appendingPathComponent("src/\(sample)")
            try FileManager.default.createDirectory(at: gadget.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(sample), to: gadget)
        }

        func build(_ extra: [String] = [], environment: [String: String] = [:]) async throws -> ProcessResult {
            try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--oci-layout", layout.path, "-t", "wasm:test"] + extra,
                                   environment: ["GADGETC_CACHE_DIR": cache.path].merging(environment) { $1 })
        }

        func append(_ text: String, to file: String) throws {
            let handle = try FileHandle(forWritingTo: gadget.appendingPathComponent(file))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    /// The wasm layer of each arch's manifest, as skopeo copies it out of the layout.
    static func wasmLayers(_ layout: URL, tag: String = "wasm:test") async throws -> [String: Data] {
        var layers: [String: Data] = [:]
        for arch in ["amd64", "arm64"] {
            let copy = try Fixtures.temporaryDirectory("wasm-copy")
            defer { try? FileManager.default.removeItem(at: copy) }
            let result = try await Fixtures.run(["skopeo", "copy", "--override-arch", arch, "oci:\(layout.path):ghcr.io/inspektor-gadget/gadget/\(tag)", "dir:\(copy.path)"])
            try #require(result.succeeded, "skopeo copy: \(result.standardError)")
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: copy.appendingPathComponent("manifest.json"))) as? [String: Any])
            let wasm = (manifest["layers"] as? [[String: Any]] ?? []).filter { $0["mediaType"] as? String == "application/vnd.gadget.wasm.program.v1+binary" }
            try #require(wasm.count == 1, "\(arch): \(manifest)")
            let digest = try #require((wasm[0]["digest"] as? String)?.split(separator: ":").last.map(String.init))
            layers[arch] = try Data(contentsOf: copy.appendingPathComponent(digest))
        }
        return layers
    }

    @Test(arguments: ["trace_exit_go", "trace_exit_rust"])
    func everyArchCarriesTheReactorModule(_ sample: String) async throws {
        let box = try Sandbox(sample)
        defer { box.remove() }
        let result = try await box.build()
        try #require(result.succeeded, "\(result.standardError)")
        #expect(result.standardError.contains("wasm: \(sample.hasSuffix("go") ? "go" : "cargo") build"))
        let layers = try await Self.wasmLayers(box.layout)
        #expect(layers["amd64"] == layers["arm64"])
        let module = try WasmModule(bytes: try #require(layers["amd64"]))
        #expect(module.isReactor, "a reactor has no _start: \(module.exports)")
        #expect(Set(Self.exports).isSubset(of: module.exportedFunctions), "\(module.exportedFunctions)")
    }

    @Test func rebuildsOnlyWhatAnEditTouches() async throws {
        let box = try Sandbox("trace_exit_go")
        defer { box.remove() }
        try #require(try await box.build().succeeded)
        let noOp = try await box.build()
        #expect(noOp.succeeded && noOp.standardError.contains("up to date"), "\(noOp.standardError)")

        try box.append("\n// an edit\n", to: "go/exitcode/exitcode.go")
        let goEdit = try await box.build()
        #expect(goEdit.succeeded)
        #expect(goEdit.standardError.contains("[amd64] compile program.bpf.c (cached)"), "\(goEdit.standardError)")
        #expect(goEdit.standardError.contains("wasm: go build") && !goEdit.standardError.contains("program.go (cached)"), "\(goEdit.standardError)")

        try box.append("\n/* an edit */\n", to: "program.bpf.c")
        let cEdit = try await box.build()
        #expect(cEdit.succeeded)
        #expect(cEdit.standardError.contains("program.go (cached)"), "\(cEdit.standardError)")
        #expect(!cEdit.standardError.contains("[amd64] compile program.bpf.c (cached)"), "\(cEdit.standardError)")
    }

    @Test func aGoSyntaxErrorIsShownWithItsPlaceAndMakesNoImage() async throws {
        let box = try Sandbox("trace_exit_go")
        defer { box.remove() }
        try box.append("\nfunc broken( {\n", to: "go/program.go")
        let result = try await box.build()
        #expect(!result.succeeded)
        #expect(result.standardError.range(of: #"program\.go:\d+:\d+: "#, options: .regularExpression) != nil, "\(result.standardError)")
        #expect(result.standardError.contains("building the wasm module failed (go build exit status 1)"), "\(result.standardError)")
        let index = (try? String(contentsOf: box.layout.appendingPathComponent("index.json"), encoding: .utf8)) ?? ""
        #expect(!index.contains("wasm:test"), "\(index)")
    }

    @Test func aCrateThatIsNotACdylibSaysWhatToChange() async throws {
        let box = try Sandbox("trace_exit_rust")
        defer { box.remove() }
        let manifest = box.gadget.appendingPathComponent("rust/Cargo.toml")
        let text = try String(contentsOf: manifest, encoding: .utf8).replacingOccurrences(of: #"crate-type = ["cdylib"]"#, with: #"crate-type = ["rlib"]"#)
        try text.write(to: manifest, atomically: true, encoding: .utf8)
        let result = try await box.build()
        #expect(!result.succeeded)
        #expect(result.standardError.contains(#"crate-type = ["cdylib"]"#) && result.standardError.contains("trace_exit_rust.wasm"), "\(result.standardError)")
    }

    @Test func aMissingModuleOfflineSaysHowToGetIt() async throws {
        let box = try Sandbox("trace_exit_go")
        defer { box.remove() }
        try box.append("\nrequire gadgetc.invalid/absent v1.0.0\n", to: "go/go.mod")
        try "package exitcode\n\nimport _ \"gadgetc.invalid/absent\"\n".write(to: box.gadget.appendingPathComponent("go/exitcode/absent.go"), atomically: true, encoding: .utf8)
        let result = try await box.build(environment: ["GOPROXY": "off", "GOFLAGS": "-mod=mod"])
        #expect(!result.succeeded)
        #expect(result.standardError.contains("gadgetc.invalid/absent"), "\(result.standardError)")
        #expect(result.standardError.contains("run `go mod download`"), "\(result.standardError)")
    }

    @Test func aMissingToolchainNamesWhatToInstall() async throws {
        let box = try Sandbox("trace_exit_go")
        defer { box.remove() }
        let go = try await box.build(["--toolchain", "native"], environment: ["GADGETC_GO": "/nonexistent/go"])
        #expect(!go.succeeded)
        #expect(go.standardError.contains("GADGETC_GO=/nonexistent/go is not an executable file") && go.standardError.contains("install Go 1.21"),
                "\(go.standardError)")

        // A cargo whose rustc has no WASI target in its sysroot is passed over, and the reason is given.
        let fake = box.root.appendingPathComponent("fake-rust")
        try FileManager.default.createDirectory(at: fake.appendingPathComponent("sysroot/lib/rustlib/x86_64-unknown-linux-gnu/lib"), withIntermediateDirectories: true)
        for (name, script) in [("cargo", "echo cargo 9.9.9"), ("rustc", "if [ \"$1\" = --print ]; then echo \(fake.path)/sysroot; else echo rustc 9.9.9; fi")] {
            let path = fake.appendingPathComponent(name).path
            try "#!/bin/sh\n\(script)\n".write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        }
        let rust = try Sandbox("trace_exit_rust")
        defer { rust.remove() }
        let result = try await rust.build(["--toolchain", "native"], environment: ["GADGETC_CARGO": fake.appendingPathComponent("cargo").path])
        #expect(!result.succeeded)
        #expect(result.standardError.contains("has no wasm32-wasip1 or wasm32-wasi target") && result.standardError.contains("libstd-rust-dev-wasm32"),
                "\(result.standardError)")
    }

    @Test func theModuleDoesNotDependOnTheCheckoutsPath() async throws {
        var digests: Set<String> = []
        for _ in 0..<2 {
            let box = try Sandbox("trace_exit_go")
            defer { box.remove() }
            let result = try await box.build(["--json"], environment: ["SOURCE_DATE_EPOCH": "0"])
            try #require(result.succeeded, "\(result.standardError)")
            let outcome = try JSONDecoder().decode(BuildOutcome.self, from: Data(result.standardOutput.utf8))
            digests.insert(outcome.digest)
        }
        #expect(digests.count == 1)
    }

    @Test func aGadgetWithoutEBPFIsItsWasmModuleAndMetadata() async throws {
        let box = try Sandbox("trace_exit_go")
        defer { box.remove() }
        try FileManager.default.removeItem(at: box.gadget.appendingPathComponent("program.bpf.c"))
        try "metadata: gadget.yaml\nwasm: go/program.go\n".write(to: box.gadget.appendingPathComponent("build.yaml"), atomically: true, encoding: .utf8)
        // No clang is needed for it: not even a broken one is run.
        let result = try await box.build(environment: ["GADGETC_CLANG": "/nonexistent/clang"])
        try #require(result.succeeded, "\(result.standardError)")
        #expect(result.standardError.contains("no eBPF source"), "\(result.standardError)")
        let layers = try await Self.wasmLayers(box.layout)
        #expect(try WasmModule(bytes: try #require(layers["arm64"])).exportedFunctions.contains("gadgetInit"))
    }
}
