import Foundation
import Testing
@testable import GadgetBuild

/// gadgetc building through the real engine and the stand-in builder image: every sample, parity
/// with the native build, offline pull policies, the automatic fallback, and cleanup on Ctrl-C.
@Suite(.enabled(if: ContainerTestEnvironment.isConfigured, ContainerTestEnvironment.skipReason), .serialized)
struct ContainerBuildTests {
    let env: ContainerTestEnvironment

    init() throws { env = try ContainerTestEnvironment.load() }

    var engineEnvironment: [String: String] { ["DOCKER_HOST": "unix://\(env.socket.path)"] }

    func driver(_ extra: [String: String] = [:]) -> BuildDriver {
        BuildDriver(host: LiveHost(environment: ProcessInfo.processInfo.environment.merging(engineEnvironment.merging(extra) { $1 }) { $1 }))
    }

    @Test(arguments: Fixtures.sampleNames)
    func containerBuildMatchesNative(_ name: String) async throws {
        let work = try Fixtures.temporaryDirectory("ctr-\(name)")
        defer { try? FileManager.default.removeItem(at: work) }
        let gadget = Fixtures.samples.appendingPathComponent(name).path
        let container = try await driver().build(BuildRequest(
            gadgetFolder: gadget, toolchain: .container, outputDirectory: work.appendingPathComponent("container").path,
            ociLayout: work.appendingPathComponent("layout").path, useCache: false,
            container: ContainerSettings(image: env.localImage.description, pullPolicy: .never)))
        #expect(container.builderImage == env.localImage.description)
        let native = try await driver().build(BuildRequest(
            gadgetFolder: gadget, toolchain: .native, includeDirectories: [Fixtures.bundledHeaders],
            outputDirectory: work.appendingPathComponent("native").path, ociLayout: work.appendingPathComponent("layout").path, useCache: false))
        for arch in ["amd64", "arm64"] {
            let a = try BPFObjectInspector.inspect(work.appendingPathComponent("container/\(arch).bpf.o"))
            let b = try BPFObjectInspector.inspect(work.appendingPathComponent("native/\(arch).bpf.o"))
            #expect(a.programs.map(\.name) == b.programs.map(\.name), "\(name) \(arch) programs")
            #expect(a.programs.map(\.section) == b.programs.map(\.section))
            #expect(a.maps.map { [$0.name, $0.type, "\($0.keySize)", "\($0.valueSize)", "\($0.maxEntries)"] }
                    == b.maps.map { [$0.name, $0.type, "\($0.keySize)", "\($0.valueSize)", "\($0.maxEntries)"] }, "\(name) \(arch) maps")
            #expect(a.variables.map(\.name) == b.variables.map(\.name), "\(name) \(arch) BTF variables")
            // The gadget's own structs (markers name them) are the same types on both sides.
            for marker in a.variables.map(\.name) where marker.hasPrefix("gadget_tracer_") {
                let type = marker.components(separatedBy: "___").last ?? ""
                #expect(a.structure(named: type)?.members.map(\.name) == b.structure(named: type)?.members.map(\.name))
            }
        }
        #expect(native.architectures.count == 2)
        // With the same clang major and the same headers, the bytes are the same: both links record the
        // builder's paths (the gadget at /work, gadgetc's headers and libbpf overlay under /usr/include,
        // the stand-in image has gadgetc's bpf/include/gadget at /usr/include/gadget). amd64 differs:
        // natively it has a vmlinux.h made from this kernel, the image has none. So every arm64.
        #expect(try Data(contentsOf: work.appendingPathComponent("container/arm64.bpf.o"))
                == Data(contentsOf: work.appendingPathComponent("native/arm64.bpf.o")), "\(name) arm64: native ≡ builder image")
    }

    /// Offline with a pre-pulled image: `missing` and `never` build, `always` fails and says how to go on.
    @Test func offlineWithAPrePulledImage() async throws {
        let offline = try ContainerImageReference(parsing: "\(env.closedRegistry)/gadgetc/builder:offline")
        try await env.client.tagImage(env.localImage, as: offline)
        let work = try Fixtures.temporaryDirectory("offline")
        defer { try? FileManager.default.removeItem(at: work) }
        func build(_ policy: String) async throws -> ProcessResult {
            try await Fixtures.run([Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent("trace_signal").path,
                                    "--toolchain", "container", "--builder-image", offline.description, "--builder-image-pull", policy,
                                    "--no-cache", "--oci-layout", work.appendingPathComponent(policy).path], environment: engineEnvironment)
        }
        for policy in ["missing", "never"] {
            let result = try await build(policy)
            #expect(result.succeeded, "\(policy): \(result.standardError)")
            #expect(result.standardOutput.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/trace_signal:latest@sha256:"))
        }
        let always = try await build("always")
        #expect(!always.succeeded)
        let errors = always.standardError.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1)
        #expect(errors.first?.contains("--builder-image-pull=missing") == true, "\(always.standardError)")
        #expect(Fixtures.files(under: work.appendingPathComponent("always")).filter { $0.hasPrefix("blobs/") }.isEmpty)
    }

    @Test func neverWithAnAbsentImageSaysHowToGetIt() async throws {
        let absent = "\(env.registry)/gadgetc/never-pushed:none"
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent("trace_signal").path,
                                             "--toolchain", "container", "--builder-image", absent, "--builder-image-pull", "never",
                                             "--oci-layout", try Fixtures.temporaryDirectory("never").path], environment: engineEnvironment)
        #expect(!result.succeeded)
        #expect(result.standardError.contains("is not available locally and pull is disabled"), "\(result.standardError)")
    }

    /// A host whose clang cannot be used builds through the builder image with no extra flag.
    @Test func autoFallsBackToTheContainer() async throws {
        let work = try Fixtures.temporaryDirectory("fallback")
        defer { try? FileManager.default.removeItem(at: work) }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent("top_protocols").path,
                                             "--builder-image", env.localImage.description, "--oci-layout", work.path],
                                            environment: engineEnvironment.merging(["GADGETC_CLANG": "/nonexistent/clang"]) { $1 })
        #expect(result.succeeded, "\(result.standardError)")
        #expect(result.standardError.contains("amd64 in the builder container"))
        #expect(result.standardError.contains("arm64 in the builder container"))
    }

    /// Ctrl-C while the container runs: gadgetc removes it and exits 130.
    @Test func interruptRemovesTheContainer() async throws {
        let work = try Fixtures.temporaryDirectory("interrupt")
        defer { try? FileManager.default.removeItem(at: work) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Fixtures.gadgetc)
        process.arguments = ["build", Fixtures.samples.appendingPathComponent("trace_exec").path, "--toolchain", "container", "--no-cache",
                             "--builder-image", env.localImage.description, "--oci-layout", work.path]
        process.environment = ProcessInfo.processInfo.environment.merging(engineEnvironment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Only this gadgetc's containers: other tests build through the same engine at the same time.
        let mine = "io.gadgetc.pid=\(process.processIdentifier)"
        var sawContainer = false
        for _ in 0..<200 where process.isRunning {
            if !(try await env.client.containers(label: mine)).isEmpty { sawContainer = true; break }
            try await Task.sleep(for: .milliseconds(10))
        }
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        if sawContainer {
            #expect(process.terminationStatus == 130 || process.terminationStatus == 0, "interrupted, or finished just before the signal")
        } else {
            print("NOTE: the build finished before its container could be seen; checked cleanup only")
        }
        let after = try await env.client.containers(label: mine)
        #expect(after.isEmpty, "containers left: \(after)")
    }
}
