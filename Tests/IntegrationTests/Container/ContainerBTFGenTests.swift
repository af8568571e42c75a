import Foundation
import Testing
@testable import GadgetBuild

/// `--btfgen` in the builder image: bpftool runs in the container (the stand-in image has Debian's, as
/// the host has), reading the scratch folder through the /out mount, and the layer and the image are the
/// native ones (arm64: both sides compile the same headers; see ContainerBuildTests).
@Suite(.enabled(if: ContainerTestEnvironment.isConfigured && BTFHubFixture.isUsable, ContainerTestEnvironment.skipReason), .serialized)
struct ContainerBTFGenTests {
    let env: ContainerTestEnvironment

    init() throws { env = try ContainerTestEnvironment.load() }

    @Test func theBuilderImagesBtfgenLayerIsTheNativeOne() async throws {
        let work = try Fixtures.temporaryDirectory("ctr-btfgen")
        defer { try? FileManager.default.removeItem(at: work) }
        let archive = try await BTFHubFixture(at: work.appendingPathComponent("btfhub-archive"), kernels: 3, arches: ["arm64"])
        let host = LiveHost(environment: ProcessInfo.processInfo.environment.merging(
            ["DOCKER_HOST": "unix://\(env.socket.path)", "SOURCE_DATE_EPOCH": "0", "GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path]) { $1 })
        let gadget = Fixtures.samples.appendingPathComponent("trace_signal").path
        var layers: [ToolchainChoice: Data] = [:]
        var digests: [ToolchainChoice: String] = [:]
        for toolchain in [ToolchainChoice.container, .native] {
            var request = BuildRequest(gadgetFolder: gadget, architectures: [.arm64], toolchain: toolchain,
                                       includeDirectories: toolchain == .native ? [Fixtures.bundledHeaders] : [],
                                       outputDirectory: work.appendingPathComponent("\(toolchain)").path,
                                       ociLayout: work.appendingPathComponent("layout-\(toolchain)").path, useCache: false,
                                       container: ContainerSettings(image: env.localImage.description, pullPolicy: .never))
            request.btfHubArchive = archive.root.path
            let outcome = try await BuildDriver(host: host).build(request)
            let summary = try #require(outcome.architectures.first?.btfgen)
            #expect(summary.kernels == 3 && summary.minimised == 3)
            #expect(outcome.architectures.first?.toolchain == (toolchain == .container ? .container : .native))
            layers[toolchain] = try Data(contentsOf: work.appendingPathComponent("\(toolchain)/btfs-arm64.tar.gz"))
            digests[toolchain] = outcome.digest
        }
        #expect(layers[.container] != nil && layers[.container] == layers[.native])
        // The same clang major and headers on both sides: the whole image is the same, btfgen layer included.
        #expect(digests[.container] != nil && digests[.container] == digests[.native], "\(digests)")
    }
}
