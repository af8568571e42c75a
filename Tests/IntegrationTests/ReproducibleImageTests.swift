import Foundation
import Testing
@testable import GadgetBuild

/// One digest for one set of inputs: the image must not depend on where the checkout lives, which
/// cache folder or how many jobs a build used (issue 10; `SOURCE_DATE_EPOCH` fixes the created time).
@Suite struct ReproducibleImageTests {
    @Test(arguments: ["trace_signal", "top_syscalls"])
    func theCheckoutFolderAndTheCacheDoNotChangeTheDigest(sample: String) async throws {
        let root = try Fixtures.temporaryDirectory("repro-\(sample)")
        defer { try? FileManager.default.removeItem(at: root) }
        var digests: [String: String] = [:]
        let conditions: [(name: String, folder: String, extra: [String])] = [
            ("first checkout", "a/\(sample)", []),
            ("another checkout folder", "b/deeper/\(sample)", []),
            ("one job at a time, no cache", "c/\(sample)", ["-j", "1", "--no-cache"]),
        ]
        for condition in conditions {
            let gadget = root.appendingPathComponent(condition.folder)
            try FileManager.default.createDirectory(at: gadget.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(sample), to: gadget)
            let result = try await Fixtures.run(
                [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "-t", "repro:latest",
                 "--oci-layout", root.appendingPathComponent("layout-\(digests.count)").path] + condition.extra,
                environment: ["SOURCE_DATE_EPOCH": "0", "GADGETC_CACHE_DIR": root.appendingPathComponent("cache-\(digests.count)").path])
            #expect(result.succeeded, "\(result.standardError)")
            digests[condition.name] = result.standardOutput.split(separator: "@").last.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        #expect(Set(digests.values).count == 1, "\(digests)")
    }

    /// Several gadgets in one invocation share the job slots, the probe and the precompiled headers: each
    /// image is the one a build of that gadget alone makes.
    @Test func buildingManyGadgetsAtOnceGivesEachTheDigestItHasAlone() async throws {
        let root = try Fixtures.temporaryDirectory("repro-many")
        defer { try? FileManager.default.removeItem(at: root) }
        let samples = Fixtures.sampleNames
        func build(_ names: [String], label: String) async throws -> [String: String] {
            let result = try await Fixtures.run(
                [Fixtures.gadgetc, "build", "-I", Fixtures.bundledHeaders, "--oci-layout", root.appendingPathComponent("layout-\(label)").path]
                    + names.map { Fixtures.samples.appendingPathComponent($0).path },
                environment: ["SOURCE_DATE_EPOCH": "0", "GADGETC_CACHE_DIR": root.appendingPathComponent("cache-\(label)").path])
            #expect(result.succeeded, "\(result.standardError)")
            // "Successfully built ghcr.io/inspektor-gadget/gadget/NAME:latest@sha256:…", one line per gadget.
            var digests: [String: String] = [:]
            for line in result.standardOutput.split(separator: "\n") where line.hasPrefix("Successfully built ") {
                let reference = line.dropFirst("Successfully built ".count)
                guard let at = reference.firstIndex(of: "@") else { continue }
                let name = reference[..<at].split(separator: "/").last?.split(separator: ":").first.map(String.init) ?? ""
                digests[name] = String(reference[reference.index(after: at)...])
            }
            return digests
        }
        let together = try await build(samples, label: "all")
        #expect(together.count == samples.count, "\(together)")
        for name in samples {
            let alone = try await build([name], label: name)
            #expect(alone[name] != nil && alone[name] == together[name], "\(name)")
        }
    }

    @Test func theObjectRecordsNoPathOfTheCheckout() async throws {
        let root = try Fixtures.temporaryDirectory("repro-paths")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("trace_signal")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let output = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let result = try await Fixtures.run(
            [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--arch", "arm64", "-o", output.path,
             "--oci-layout", root.appendingPathComponent("layout").path],
            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(result.succeeded, "\(result.standardError)")
        let object = try Data(contentsOf: output.appendingPathComponent("arm64.bpf.o"))
        let text = String(decoding: object, as: UTF8.self)
        #expect(text.contains("/work/program.bpf.c"), "the gadget folder is recorded as ig's builder's")
        #expect(text.contains("/usr/include/gadget/buffer.h"), "so are gadgetc's headers")
        #expect(!text.contains(root.path), "no path of the checkout")
        #expect(!text.contains(Fixtures.repository.path), "no path of gadgetc's headers")
        // BTF line info still quotes every source line with code (clang reads them through the real
        // paths; the link rewrites them): the verifier's log shows them. The same object compiled
        // and linked without any map has the same lines.
        let plain = root.appendingPathComponent("plain.o")
        let compile = try await Fixtures.run(["/usr/bin/clang-16", "-target", "bpf", "-Wall", "-g", "-O2", "-I/usr/include/x86_64-linux-gnu",
                                              "-D", "__TARGET_ARCH_arm64", "-c", "program.bpf.c", "-I", "/usr/include/gadget/arm64/", "-I", Fixtures.bundledHeaders,
                                              "-I", Fixtures.repository.appendingPathComponent("bpf/compat").path, "-o", plain.path], in: gadget.path)
        #expect(compile.succeeded, "\(compile.standardError)")
        let linked = root.appendingPathComponent("plain-linked.o")
        try BPFLinker.link([plain], into: linked)
        let source = try String(contentsOf: gadget.appendingPathComponent("program.bpf.c"), encoding: .utf8)
        let codeLines = Set(source.split(separator: "\n").map(String.init).filter { $0.trimmingCharacters(in: .whitespaces).count > 8 })
        let plainText = String(decoding: try Data(contentsOf: linked), as: UTF8.self)
        let quoted = codeLines.filter { plainText.contains($0) }
        #expect(!quoted.isEmpty)
        #expect(quoted.allSatisfy { text.contains($0) }, "lines missing: \(quoted.filter { !text.contains($0) })")
    }
}

/// ig's `checkBuilderVersion` reads `io.inspektor-gadget.builder.version` from the manifest of the
/// gadget's arch and warns when it is missing: every image gadgetc makes from a gadget.yaml carries it.
@Suite struct BuilderVersionTests {
    /// The annotation in each arch's manifest, read as ig reads it (manifest → annotations → key).
    static func builderVersions(in layout: URL) throws -> [String?] {
        func json(_ digest: String) throws -> [String: Any] {
            let path = layout.appendingPathComponent("blobs/sha256/\(digest.dropFirst("sha256:".count))")
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any])
        }
        let top = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: layout.appendingPathComponent("index.json"))) as? [String: Any])
        let entry = try #require((top["manifests"] as? [[String: Any]])?.first)
        let index = try json(try #require(entry["digest"] as? String))
        return try (index["manifests"] as? [[String: Any]] ?? []).map { manifest in
            let body = try json(try #require(manifest["digest"] as? String))
            return (body["annotations"] as? [String: String])?["io.inspektor-gadget.builder.version"]
        }
    }

    @Test(arguments: [([], "v0.51.1"), (["--builder-version", "v0.52.0"], "v0.52.0"), (["--builder-version", ""], nil)] as [([String], String?)])
    func everyManifestNamesTheBuilderVersion(flags: [String], expected: String?) async throws {
        let root = try Fixtures.temporaryDirectory("builder-version")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("trace_signal")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let layout = root.appendingPathComponent("layout")
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--oci-layout", layout.path] + flags,
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(result.succeeded, "\(result.standardError)")
        let versions = try Self.builderVersions(in: layout)
        #expect(versions.count == 2)
        #expect(versions.allSatisfy { $0 == expected }, "\(versions)")
    }
}

/// `gadgetc build --check-reproducible`: a second build in other conditions, compared.
@Suite struct CheckReproducibleTests {
    @Test func aReproducibleGadgetPassesTheCheck() async throws {
        let root = try Fixtures.temporaryDirectory("check-repro")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("top_syscalls")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("top_syscalls"), to: gadget)
        let result = try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--check-reproducible",
                                             "--oci-layout", root.appendingPathComponent("layout").path],
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(result.succeeded, "\(result.standardError)")
        #expect(result.standardError.contains("top_syscalls: reproducible: sha256:"), "\(result.standardError)")
        // Without SOURCE_DATE_EPOCH both builds took one creation time: the printed digest is the image's.
        let digest = try #require(result.standardOutput.split(separator: "@").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(result.standardError.contains("reproducible: \(digest) again"))
    }

    /// Two different programs in images of one name: the report names the arch, the layer and the sections.
    @Test func differencesAreNamedDownToTheSections() async throws {
        let root = try Fixtures.temporaryDirectory("image-diff")
        defer { try? FileManager.default.removeItem(at: root) }
        var objects: [URL] = []
        for sample in ["trace_signal", "top_protocols"] {
            let output = root.appendingPathComponent("o-\(sample)")
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            let result = try await Fixtures.run([Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent(sample).path, "-I", Fixtures.bundledHeaders,
                                                 "--arch", "arm64", "-o", output.path, "--oci-layout", root.appendingPathComponent("scratch").path],
                                                environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
            #expect(result.succeeded, "\(result.standardError)")
            objects.append(output.appendingPathComponent("arm64.bpf.o"))
        }
        let reference = try ImageReference(parsing: "same:latest")
        let created = Date(timeIntervalSince1970: 0)
        let first = OCIImageStore(root: root.appendingPathComponent("a")), second = OCIImageStore(root: root.appendingPathComponent("b"))
        let a = try first.add(GadgetImageContent(programs: ["arm64": objects[0]], created: created), as: reference)
        let b = try second.add(GadgetImageContent(programs: ["arm64": objects[1]], created: created), as: reference)
        let lines = ImageDifference.describe(first: first, a.indexDigest, second: second, b.indexDigest)
        #expect(lines.contains { $0.hasPrefix("[arm64] layer application/vnd.gadget.ebpf.program.v1+binary differs") && $0.contains("sections") && $0.contains(".BTF") }, "\(lines)")
        #expect(ImageDifference.describe(first: first, a.indexDigest, second: first, a.indexDigest) == ["the image indexes differ in bytes only"])
    }
}
