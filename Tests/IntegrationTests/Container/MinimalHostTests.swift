import Foundation
import Testing
@testable import GadgetBuild

/// gadgetc on a host with no clang, no libclang and no libbpf/libelf: `.ci/testenv/minimal-host`
/// chroots the real binary (plus the Swift runtime libraries, nothing else) into a Debian minbase
/// root and runs `doctor --json` and `build` there against the test environment's dockerd.
@Suite(
    "Minimal host (no clang, no libbpf) builds through the container",
    .serialized,
    .enabled(if: ContainerTestEnvironment.isConfigured, ContainerTestEnvironment.skipReason),
    .enabled(if: Fixtures.isRoot, "not root: .ci/testenv/minimal-host needs root (debootstrap, mount, chroot)")
)
struct MinimalHostTests {
    static let script = Fixtures.repository.appendingPathComponent(".ci/testenv/minimal-host").path

    /// Cold, the script first makes the root with debootstrap (≈25 s here); warm it takes about a second.
    @Test(.timeLimit(.minutes(10)))
    func doctorAndBuildInAMinimalRoot() async throws {
        let out = try Fixtures.temporaryDirectory("minimal-host")
        defer { try? FileManager.default.removeItem(at: out) }
        let gadget = Fixtures.samples.appendingPathComponent("top_protocols").path
        let result = try await Fixtures.run(["/bin/bash", Self.script, "--out", out.path, Fixtures.gadgetc, gadget])
        #expect(result.succeeded, "minimal-host failed:\n\(result.standardError)")

        // Nothing stays mounted under the root, whatever happened.
        let root = (try? String(contentsOf: out.appendingPathComponent("root"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "/var/cache/gadgetc-testenv/minimal-host-"
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        let left = mountinfo.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 && fields[4].hasPrefix(root) ? String(fields[4]) : nil
        }
        #expect(left.isEmpty, "still mounted: \(left)")
        try #require(result.succeeded)

        // doctor: no clang, no libclang; auto builds amd64 (and arm64) in the builder container.
        let doctor = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: out.appendingPathComponent("doctor.json"))) as? [String: Any])
        let capabilities = (doctor["capabilities"] as? [[String: Any]]) ?? []
        func found(_ name: String) -> Bool? { capabilities.first { $0["name"] as? String == name }?["found"] as? Bool }
        #expect(found("clang with BPF target") == false, "\(capabilities)")
        #expect(found("libclang") == false)
        #expect(found("container engine") == true)
        let decisions = (doctor["decisions"] as? [[String: Any]]) ?? []
        let amd64 = decisions.first { $0["arch"] as? String == "amd64" }
        #expect(amd64?["toolchain"] as? String == "container", "\(decisions)")

        // build: the success line, and an OCI layout whose image index holds one manifest per arch.
        let stdout = try String(contentsOf: out.appendingPathComponent("build.stdout"), encoding: .utf8)
        #expect(stdout.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/top_protocols:latest@sha256:"), "\(stdout)")
        let stderr = try String(contentsOf: out.appendingPathComponent("build.stderr"), encoding: .utf8)
        #expect(stderr.contains("amd64 in the builder container"), "\(stderr)")
        let layout = out.appendingPathComponent("layout")
        let top = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: layout.appendingPathComponent("index.json"))) as? [String: Any])
        let entries = (top["manifests"] as? [[String: Any]]) ?? []
        try #require(entries.count == 1, "\(top)")
        let digest = try #require(entries[0]["digest"] as? String)
        let blob = layout.appendingPathComponent("blobs/sha256/\(digest.dropFirst("sha256:".count))")
        let imageIndex = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: blob)) as? [String: Any])
        let manifests = (imageIndex["manifests"] as? [[String: Any]]) ?? []
        #expect(manifests.count == 2, "\(imageIndex)")
        let arches = manifests.compactMap { ($0["platform"] as? [String: Any])?["architecture"] as? String }.sorted()
        #expect(arches == ["amd64", "arm64"])
    }
}
