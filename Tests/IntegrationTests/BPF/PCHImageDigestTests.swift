import Foundation
import Testing
@testable import GadgetBuild

/// Review finding F5 end to end: trace_signal built with the precompiled vmlinux.h (warm cache) and
/// without it (`GADGETC_PCH=off --no-cache`) gives one image digest.
@Suite struct PCHImageDigestTests {
    @Test func withAndWithoutThePCHTheImageHasOneDigest() async throws {
        let root = try Fixtures.temporaryDirectory("pch-digest")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("trace_signal")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        var environment = ProcessInfo.processInfo.environment
        environment["GADGETC_CACHE_DIR"] = root.appendingPathComponent("cache").path
        environment["SOURCE_DATE_EPOCH"] = "0"
        func request(_ layout: String, useCache: Bool = true) -> BuildRequest {
            BuildRequest(gadgetFolder: gadget.path, architectures: [.amd64], includeDirectories: [Fixtures.bundledHeaders],
                         ociLayout: root.appendingPathComponent(layout).path, useCache: useCache)
        }
        let driver = BuildDriver(host: LiveHost(environment: environment), observer: SilentObserver())
        let source = gadget.appendingPathComponent("program.bpf.c")

        // The first build may generate vmlinux.h; the next one (after an edit) starts the PCH.
        _ = try await driver.build(request("layout"))
        try "// first edit\n".appendingToFile(source)
        _ = try await driver.build(request("layout"))
        let pchFolder = root.appendingPathComponent("cache/pch")
        for _ in 0..<200 where !Fixtures.files(under: pchFolder).contains(where: { $0.hasSuffix("-amd64.pch") }) {
            try await Task.sleep(for: .milliseconds(100))
        }
        try "// second edit\n".appendingToFile(source)
        let (plan, _) = try await driver.plan(request("layout"))
        try #require(plan.jobs(.compile).first?.argv.contains("-include-pch") == true, "the PCH is used")
        let withPCH = try await driver.build(request("layout"))

        environment["GADGETC_PCH"] = "off"
        let plainDriver = BuildDriver(host: LiveHost(environment: environment), observer: SilentObserver())
        let plain = try await plainDriver.build(request("layout-plain", useCache: false))
        #expect(withPCH.digest == plain.digest)
    }
}
