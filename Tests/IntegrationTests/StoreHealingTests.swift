import Foundation
import Testing
@testable import GadgetBuild

/// F2 of the reliability review: a damaged store is never trusted and heals on the next build;
/// `gadgetc store check` finds what is wrong and `--repair` removes what can only do harm.
@Suite struct StoreHealingTests {
    struct Image {
        var index: String
        var manifest: String
        var layer: String
        var config: String
    }

    /// The blob paths of the amd64 image tagged in `layout`.
    static func image(in layout: URL) throws -> Image {
        func json(_ path: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        }
        func blob(_ digest: Any?) throws -> String {
            let text = try #require(digest as? String)
            return layout.appendingPathComponent("blobs/sha256/\(text.dropFirst("sha256:".count))").path
        }
        let top = try json(layout.appendingPathComponent("index.json").path)
        let index = try blob((try #require((top["manifests"] as? [[String: Any]])?.first))["digest"])
        let manifests = try #require(try json(index)["manifests"] as? [[String: Any]])
        let manifest = try blob(try #require(manifests.first)["digest"])
        let body = try json(manifest)
        let layer = try blob(try #require((body["layers"] as? [[String: Any]])?.first)["digest"])
        let config = try blob(try #require(body["config"] as? [String: Any])["digest"])
        return Image(index: index, manifest: manifest, layer: layer, config: config)
    }

    static func flipByte(_ path: String, at offset: Int = 100) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[min(offset, bytes.count - 1)] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    static func hashesToItsName(_ path: String) throws -> Bool {
        try ContentDigest.hex(fileAt: path) == URL(fileURLWithPath: path).lastPathComponent
    }

    @Test func aFlippedBlobIsRewrittenByTheNextFullBuild() async throws {
        let box = try CacheTests.Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        // A fixed creation time: the rebuilt image is the same image, so it needs the same blobs.
        _ = try await box.build(sourceDateEpoch: "0")
        let image = try Self.image(in: box.layout)
        for path in [image.layer, image.config, image.manifest] { try Self.flipByte(path) }
        try box.write("program.bpf.c", (try String(contentsOf: box.gadget.appendingPathComponent("program.bpf.c"), encoding: .utf8)) + "// edit\n")
        _ = try await box.build(sourceDateEpoch: "0")
        try box.write("program.bpf.c", (try String(contentsOf: box.gadget.appendingPathComponent("program.bpf.c"), encoding: .utf8))
            .replacingOccurrences(of: "// edit\n", with: ""))
        let back = try await box.build(sourceDateEpoch: "0")
        #expect(!back.upToDate)
        for path in [image.layer, image.config, image.manifest] {
            #expect(try Self.hashesToItsName(path), "\(path) was written again")
        }
    }

    @Test func aMissingBlobMakesTheNoOpBuildRebuild() async throws {
        let box = try CacheTests.Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        _ = try await box.build(sourceDateEpoch: "0")
        #expect(try await box.build(sourceDateEpoch: "0").upToDate)
        for part in ["layer", "index", "oci-layout"] {
            // The image as tagged now (each rebuild has a new creation time, so a new index).
            let image = try Self.image(in: box.layout)
            let path = ["layer": image.layer, "index": image.index][part] ?? box.layout.appendingPathComponent("oci-layout").path
            try FileManager.default.removeItem(atPath: path)
            let observer = try await box.build(sourceDateEpoch: "0")
            #expect(!observer.upToDate, "\(path) missing is not up to date: \(observer.notes)")
            #expect(FileManager.default.fileExists(atPath: path), "\(path) is back")
            #expect(try await box.build(sourceDateEpoch: "0").upToDate)
        }
    }

    @Test func storeCheckFindsAndRepairs() async throws {
        let box = try CacheTests.Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        _ = try await box.build()
        let healthy = try await Fixtures.run([Fixtures.gadgetc, "store", "check", "--store", box.layout.path])
        #expect(healthy.succeeded, "\(healthy.standardOutput)\(healthy.standardError)")
        #expect(healthy.standardOutput.contains("no problems"))

        let image = try Self.image(in: box.layout)
        try Self.flipByte(image.layer)
        let leftover = box.layout.appendingPathComponent(".index.json.tmp-999999999-42")  // a pid no process has
        try Data("{".utf8).write(to: leftover)
        let found = try await Fixtures.run([Fixtures.gadgetc, "store", "check", "--store", box.layout.path, "--json"])
        #expect(!found.succeeded)
        let report = try JSONDecoder().decode(StoreCheckReport.self, from: Data(found.standardOutput.utf8))
        #expect(report.problems.map(\.kind) == [.wrongDigest])
        #expect(report.problems.first?.tags == ["ghcr.io/inspektor-gadget/gadget/cachegadget:latest"])
        #expect(report.leftovers == [leftover.path])

        let repaired = try await Fixtures.run([Fixtures.gadgetc, "store", "check", "--store", box.layout.path, "--repair"])
        #expect(repaired.standardOutput.contains("removed: \(image.layer)"), "\(repaired.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(!FileManager.default.fileExists(atPath: image.layer))
        // The rebuild the report asks for writes the blob again.
        _ = try await box.build()
        #expect(try Self.hashesToItsName(image.layer))
        #expect(try await Fixtures.run([Fixtures.gadgetc, "store", "check", "--store", box.layout.path]).succeeded)

        let missing = try await Fixtures.run([Fixtures.gadgetc, "store", "check", "--store", box.root.appendingPathComponent("nothing").path])
        #expect(!missing.succeeded && missing.standardError.hasPrefix("error: ") && missing.standardError.split(separator: "\n").count == 1)
    }
}
