import Foundation
import Testing
@testable import GadgetBuild

/// Builds every bundled sample for both arches with the host's real clang, links and checks with
/// libbpf, loads amd64 into the kernel verifier when privileged, and reads the image back with skopeo.
@Suite(.serialized) struct NativeBuildTests {
    @Test(arguments: Fixtures.sampleNames)
    func buildsSample(_ name: String) async throws {
        let work = try Fixtures.temporaryDirectory(name)
        defer { try? FileManager.default.removeItem(at: work) }
        let layout = work.appendingPathComponent("layout")
        let objects = work.appendingPathComponent("objects")
        if !Fixtures.isRoot { print("NOTE: not root — \(name) is built and opened but not loaded into the kernel verifier") }
        let request = BuildRequest(
            gadgetFolder: Fixtures.samples.appendingPathComponent(name).path, includeDirectories: [Fixtures.bundledHeaders], tag: "\(name):test",
            outputDirectory: objects.path, ociLayout: layout.path, verify: Fixtures.isRoot)
        let outcome = try await BuildDriver().build(request)

        #expect(outcome.architectures.map(\.arch) == [.amd64, .arm64])
        for result in outcome.architectures {
            #expect(!result.programs.isEmpty, "\(name) \(result.arch) has programs")
            let object = try #require(result.object)
            let summary = try BPFObjectInspector.inspect(URL(fileURLWithPath: object))
            #expect(summary.hasBTF)
            #expect(summary.programs.map(\.name) == result.programs.map(\.name))
        }
        if Fixtures.isRoot {
            let amd64 = try #require(outcome.architectures.first { $0.arch == .amd64 }?.verification)
            #expect(amd64.allAccepted, "verifier: \(amd64)")
            #expect(!amd64.programs.isEmpty)
        }

        // An independent OCI reader sees an index with one gadget manifest per arch.
        let raw = try await Fixtures.run(["skopeo", "inspect", "--raw", "oci:\(layout.path):ghcr.io/inspektor-gadget/gadget/\(name):test"])
        #expect(raw.succeeded, "skopeo: \(raw.standardError)")
        let index = try #require(try JSONSerialization.jsonObject(with: Data(raw.standardOutput.utf8)) as? [String: Any])
        #expect(index["mediaType"] as? String == "application/vnd.oci.image.index.v1+json")
        let manifests = try #require(index["manifests"] as? [[String: Any]])
        let arches = manifests.compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }.sorted()
        #expect(arches == ["amd64", "arm64"])
        #expect("sha256:" + ContentDigest.hex(Data(raw.standardOutput.utf8)) == outcome.digest)

        let manifestRaw = try await Fixtures.run(["skopeo", "inspect", "--raw", "--override-arch", "arm64", "oci:\(layout.path):ghcr.io/inspektor-gadget/gadget/\(name):test"])
        #expect(manifestRaw.succeeded)
        let copied = work.appendingPathComponent("copy")
        let copy = try await Fixtures.run(["skopeo", "copy", "--override-arch", "amd64", "oci:\(layout.path):ghcr.io/inspektor-gadget/gadget/\(name):test", "dir:\(copied.path)"])
        #expect(copy.succeeded, "skopeo copy: \(copy.standardError)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: copied.appendingPathComponent("manifest.json"))) as? [String: Any]
        #expect(manifest?["artifactType"] as? String == "application/vnd.gadget.v1+binary")
        let layers = manifest?["layers"] as? [[String: Any]] ?? []
        #expect(layers.first?["mediaType"] as? String == "application/vnd.gadget.ebpf.program.v1+binary")
    }

    @Test func rebuildWithSourceDateEpochIsReproducible() async throws {
        let work = try Fixtures.temporaryDirectory("repro")
        defer { try? FileManager.default.removeItem(at: work) }
        var digests: [String] = []
        for round in 0..<2 {
            let env = ["SOURCE_DATE_EPOCH": "1700000000"]
            let result = try await Fixtures.run([Fixtures.gadgetc, "build", Fixtures.samples.appendingPathComponent("trace_exec").path,
                                                 "-t", "repro:v1", "-I", Fixtures.bundledHeaders, "--oci-layout", work.appendingPathComponent("l\(round)").path], environment: env)
            #expect(result.succeeded, "\(result.standardError)")
            let line = result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(line.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/repro:v1@sha256:"))
            digests.append(line)
        }
        #expect(digests[0] == digests[1])
    }

    @Test func compatOverlayBuildsGadgetsNeedingNewerLibbpf() async throws {
        let work = try Fixtures.temporaryDirectory("compat")
        defer { try? FileManager.default.removeItem(at: work) }
        let outcome = try await BuildDriver().build(BuildRequest(
            gadgetFolder: Fixtures.testdata.appendingPathComponent("needs_newer_libbpf").path,
            includeDirectories: [Fixtures.bundledHeaders], ociLayout: work.path, verify: Fixtures.isRoot))
        #expect(outcome.architectures.count == 2)
    }

    @Test func vmlinuxFromKernelBTF() async throws {
        let work = try Fixtures.temporaryDirectory("vmlinux")
        defer { try? FileManager.default.removeItem(at: work) }
        // A private cache forces generation from /sys/kernel/btf/vmlinux.
        let driver = BuildDriver(host: Fixtures.host(cache: work.appendingPathComponent("cache")))
        let outcome = try await driver.build(BuildRequest(
            gadgetFolder: Fixtures.testdata.appendingPathComponent("needs_vmlinux").path, architectures: [.amd64],
            ociLayout: work.appendingPathComponent("layout").path, verify: Fixtures.isRoot))
        #expect(outcome.architectures.map(\.arch) == [.amd64])
        let generated = Fixtures.files(under: work.appendingPathComponent("cache/vmlinux"))
        if FileManager.default.fileExists(atPath: "/usr/include/gadget/amd64/vmlinux.h") {
            print("NOTE: /usr/include/gadget/amd64/vmlinux.h exists, so it was used and none was generated")
            #expect(generated.isEmpty)
        } else {
            #expect(generated.contains { $0.hasSuffix("amd64/vmlinux.h") })
        }
    }
}
