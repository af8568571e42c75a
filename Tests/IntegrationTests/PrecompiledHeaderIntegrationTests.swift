import Foundation
import Testing
@testable import GadgetBuild

/// The precompiled vmlinux.h with the real clang: built in the background after a build that could
/// have used it, then used by the next compile, with the same programs, maps and BTF variables.
@Suite struct PrecompiledHeaderIntegrationTests {
    @Test func backgroundPCHIsUsedByTheNextBuild() async throws {
        let box = try VmlinuxGadgetSandbox("pch")
        defer { box.remove() }
        let (root, gadget, driver, request) = (box.root, box.gadget, box.driver(), box.request)
        // The first build may generate vmlinux.h itself; the next one (after an edit, so that it is
        // not merely up to date) plans the PCH and starts it in the background.
        _ = try await driver.build(request)
        try "// first edit\n".appendingToFile(gadget.appendingPathComponent("program.bpf.c"))
        _ = try await driver.build(request)
        let pchFolder = root.appendingPathComponent("cache/pch")
        var waited = 0
        while !Fixtures.files(under: pchFolder).contains(where: { $0.hasSuffix(".pch") }) && waited < 200 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        #expect(Fixtures.files(under: pchFolder).contains { $0.hasSuffix("-amd64.pch") }, "a PCH appeared within 20 s")

        try "// edited\n".appendingToFile(gadget.appendingPathComponent("program.bpf.c"))
        let (plan, _) = try await driver.plan(request)
        #expect(plan.jobs(.compile).first?.argv.contains("-include-pch") == true)
        let withPCH = try await driver.build(request)
        let plain = try await driver.build(BuildRequest(gadgetFolder: gadget.path, architectures: [.amd64], includeDirectories: [Fixtures.bundledHeaders],
                                                        ociLayout: root.appendingPathComponent("layout2").path, useCache: false))
        #expect(withPCH.architectures[0].programs == plain.architectures[0].programs)
        #expect(withPCH.architectures[0].maps == plain.architectures[0].maps)
    }
}

extension String {
    func appendingToFile(_ url: URL) throws {
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}

/// Several gadgets in one run share a PCH built first, when enough of their compiles can use it.
@Suite struct SharedPrecompiledHeaderTests {
    @Test func aBatchBuildsThePCHFirstAndUsesIt() async throws {
        let root = try Fixtures.temporaryDirectory("shared-pch")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadgets = root.appendingPathComponent("gadgets")
        for index in 0..<3 {
            try FileManager.default.createDirectory(at: gadgets, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Fixtures.testdata.appendingPathComponent("needs_vmlinux"), to: gadgets.appendingPathComponent("v\(index)"))
        }
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", gadgets.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                             "--oci-layout", root.appendingPathComponent("layout").path],
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(result.succeeded, "\(result.standardError)")
        #expect(result.standardOutput.split(separator: "\n").count == 3)
        #expect(result.standardError.contains("precompile"), "\(result.standardError)")
        #expect(Fixtures.files(under: root.appendingPathComponent("cache/pch")).contains { $0.hasSuffix("-amd64.pch") })
    }
}

/// A PCH that clang cannot use (damaged, or from elsewhere) never fails a build: the compile runs again without it.
@Suite struct BrokenPrecompiledHeaderTests {
    @Test func aDamagedPCHFallsBackToThePlainCompile() async throws {
        let box = try VmlinuxGadgetSandbox("bad-pch")
        defer { box.remove() }
        let (gadget, driver, request) = (box.gadget, box.driver(), box.request)
        _ = try await driver.build(request)  // may generate vmlinux.h, so that the next plan knows the PCH
        let (first, _) = try await driver.plan(request)
        // The PCH still to be built, or the one already in use if the first build's background run made it.
        let planned = first.precompiledHeadersToBuild.first?.output ?? first.jobs(.compile).first.flatMap { job in
            job.argv.firstIndex(of: "-include-pch").map { job.argv[$0 + 1] }
        }
        let pchPath = try #require(planned)
        // A background build of the real PCH, if the first build started one, finishes before the damage.
        for _ in 0..<200 where FileManager.default.fileExists(atPath: pchPath + ".lock") && !FileManager.default.fileExists(atPath: pchPath) {
            try await Task.sleep(for: .milliseconds(100))
        }
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: pchPath).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try Data("not a precompiled header".utf8).write(to: URL(fileURLWithPath: pchPath))
        let (unsealed, _) = try await driver.plan(request)
        #expect(unsealed.jobs(.compile).first?.argv.contains(pchPath) == false, "a PCH that does not match its seal is not planned")
        // Sealed as if gadgetc had made it: clang is the judge, by its exit status.
        let fingerprint = try #require(FileFingerprint(path: pchPath))
        try Data("\(fingerprint.description)\n\(try ContentDigest.hex(fileAt: pchPath))\n".utf8)
            .write(to: URL(fileURLWithPath: pchPath + ".seal"))
        let (plan, _) = try await driver.plan(request)
        #expect(plan.jobs(.compile).first?.argv.contains(pchPath) == true, "the sealed PCH is planned")
        try "// edited\n".appendingToFile(gadget.appendingPathComponent("program.bpf.c"))
        let observer = RecordingObserver()
        let outcome = try await box.driver(observer: observer).build(request)
        #expect(outcome.architectures.first?.programs.isEmpty == false)
        #expect(observer.notes.contains { $0.contains("could not be used") && $0.contains("compiled without it") }, "\(observer.notes)")
    }
}

/// A copy of testdata/needs_vmlinux (its first include is vmlinux.h) with a cache of its own.
struct VmlinuxGadgetSandbox {
    let root: URL
    var gadget: URL { root.appendingPathComponent("gadget") }
    var request: BuildRequest {
        BuildRequest(gadgetFolder: gadget.path, architectures: [.amd64], includeDirectories: [Fixtures.bundledHeaders],
                     ociLayout: root.appendingPathComponent("layout").path)
    }

    init(_ label: String) throws {
        root = try Fixtures.temporaryDirectory(label)
        try FileManager.default.copyItem(at: Fixtures.testdata.appendingPathComponent("needs_vmlinux"), to: root.appendingPathComponent("gadget"))
    }

    func driver(observer: BuildObserver = SilentObserver()) -> BuildDriver {
        var environment = ProcessInfo.processInfo.environment
        environment["GADGETC_CACHE_DIR"] = root.appendingPathComponent("cache").path
        return BuildDriver(host: LiveHost(environment: environment), observer: observer)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
