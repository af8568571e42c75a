import Foundation
import Testing
@testable import GadgetBuild

/// Issue 14, point 1: `scripts/release` turns a release gadgetc into a tarball, a .deb and its debug
/// info, the same bytes every time; the .deb installs with dpkg on a bare Debian bookworm root (its
/// Depends met by minbase), brings the man page, completions and gadget headers, and builds a gadget
/// there through the builder container. `.ci/test` builds the release binary and names it in
/// GADGETC_RELEASE_BINARY (a release build takes minutes; the debug binary needs the Swift runtime).
/// The release gadgetc and swift-argument-parser's generate-manual that `.ci/test` built, if any
/// (scripts/release cannot build them itself under `swift test`, which holds SwiftPM's build lock).
enum ReleaseBinary {
    static let path = setting("GADGETC_RELEASE_BINARY")
    static let manualTool = setting("GADGETC_GENERATE_MANUAL")
    static func setting(_ name: String) -> String? { ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 } }
}

@Suite(
    "Release package",
    .serialized,
    .enabled(if: ReleaseBinary.path != nil && ReleaseBinary.manualTool != nil,
             "GADGETC_RELEASE_BINARY or GADGETC_GENERATE_MANUAL is not set: `.ci/test` builds gadgetc (release) and generate-manual and sets them"),
    .enabled(if: Fixtures.isRoot, "not root: the install test needs debootstrap, mount and chroot")
)
struct ReleasePackageTests {
    static let script = Fixtures.repository.appendingPathComponent("scripts/release").path

    func package(into out: URL) async throws -> ProcessResult {
        try await Fixtures.run(["/bin/bash", Self.script, "--binary", try #require(ReleaseBinary.path),
                                "--manual-tool", try #require(ReleaseBinary.manualTool), "--out", out.path],
                               environment: ["SOURCE_DATE_EPOCH": "1700000000"])
    }

    @Test(.timeLimit(.minutes(15)))
    func packagesAreReproducibleCompleteAndInstallOnABareRoot() async throws {
        let root = try Fixtures.temporaryDirectory("release")
        defer { try? FileManager.default.removeItem(at: root) }
        let first = try await package(into: root.appendingPathComponent("one"))
        try #require(first.succeeded, "scripts/release failed:\n\(first.standardError)")
        let second = try await package(into: root.appendingPathComponent("two"))
        try #require(second.succeeded, "\(second.standardError)")
        // The same commit (and SOURCE_DATE_EPOCH) gives the same bytes.
        let sums = try String(contentsOf: root.appendingPathComponent("one/SHA256SUMS"), encoding: .utf8)
        #expect(sums == (try String(contentsOf: root.appendingPathComponent("two/SHA256SUMS"), encoding: .utf8)))
        #expect(first.standardError.contains("stripped") && first.standardError.contains("start-up"), "\(first.standardError)")

        let deb = first.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(deb.hasSuffix(".deb") && FileManager.default.fileExists(atPath: deb), "\(first.standardOutput)")
        let listing = try await Fixtures.run(["dpkg-deb", "-c", deb])
        for path in ["./usr/bin/gadgetc", "./usr/share/man/man1/gadgetc.1.gz", "./usr/share/bash-completion/completions/gadgetc",
                     "./usr/share/zsh/vendor-completions/_gadgetc", "./usr/share/fish/vendor_completions.d/gadgetc.fish",
                     "./usr/share/gadgetc/bpf/include/gadget/macros.h", "./usr/share/gadgetc/examples/trace_exec/program.bpf.c",
                     "./usr/share/doc/gadgetc/copyright", "./usr/share/doc/gadgetc/LICENSE"] {
            #expect(listing.standardOutput.contains(" \(path)\n"), "\(path) is not in the package")
        }
        #expect(!listing.standardOutput.contains("/target/"), "build leftovers in the package")
        let fields = try await Fixtures.run(["dpkg-deb", "-f", deb, "Depends"])
        #expect(fields.standardOutput.contains("libc6 (>= 2.") && !fields.standardOutput.contains("libbpf") && !fields.standardOutput.contains("libswift"),
                "\(fields.standardOutput)")

        // The installed binary: stripped, under 80 MB, its debug info in a file of its own that names the same build.
        let extracted = root.appendingPathComponent("extracted")
        let unpack = try await Fixtures.run(["dpkg-deb", "-x", deb, extracted.path])
        try #require(unpack.succeeded, "\(unpack.standardError)")
        let binary = extracted.appendingPathComponent("usr/bin/gadgetc").path
        let size = try #require(try FileManager.default.attributesOfItem(atPath: binary)[.size] as? Int)
        #expect(size < 80_000_000, "the installed gadgetc is \(size) bytes")
        let symbols = try await Fixtures.run(["readelf", "-S", binary])
        #expect(!symbols.standardOutput.contains(".symtab") && !symbols.standardOutput.contains(".debug_info") && symbols.standardOutput.contains(".gnu_debuglink"))
        let debug = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("one").path).filter { $0.hasSuffix(".debug") }
        #expect(debug.count == 1)
        let version = try await Fixtures.run([binary, "--version"])
        #expect(version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == GadgetcVersion.string)

        // The man page renders and has every subcommand; bash completes the subcommands.
        let man = try await Fixtures.run(["man", "-l", extracted.appendingPathComponent("usr/share/man/man1/gadgetc.1.gz").path],
                                         environment: ["MANWIDTH": "100", "MANPAGER": "cat", "PAGER": "cat"])
        #expect(man.succeeded && man.standardOutput.contains("--builder-image-pull") && man.standardOutput.contains("GADGETC_REMOTE_CACHE"),
                "\(man.standardError)")
        let completion = extracted.appendingPathComponent("usr/share/bash-completion/completions/gadgetc").path
        let complete = try await Fixtures.run(["bash", "-c", "source \(completion); COMP_WORDS=(gadgetc bu); COMP_CWORD=1; COMP_LINE='gadgetc bu'; COMP_POINT=10; _gadgetc; printf '%s\\n' \"${COMPREPLY[@]}\""],
                                              environment: ["PATH": extracted.appendingPathComponent("usr/bin").path + ":/usr/bin:/bin"])
        #expect(complete.standardOutput.split(separator: "\n").contains("build"), "\(complete.standardOutput) \(complete.standardError)")

        // On a bare bookworm root: dpkg -i, then doctor and a build through the builder container.
        guard ContainerTestEnvironment.isConfigured else { return }
        let out = root.appendingPathComponent("host")
        let installed = try await Fixtures.run(["/bin/bash", MinimalHostTests.script, "--out", out.path, "--deb", deb,
                                                Fixtures.samples.appendingPathComponent("top_protocols").path])
        #expect(installed.succeeded, "minimal-host --deb failed:\n\(installed.standardError)")
        let stdout = try String(contentsOf: out.appendingPathComponent("build.stdout"), encoding: .utf8)
        #expect(stdout.hasPrefix("Successfully built ghcr.io/inspektor-gadget/gadget/top_protocols:latest@sha256:"), "\(stdout)")
        let doctor = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("doctor.json"))) as? [String: Any])
        let capabilities = (doctor["capabilities"] as? [[String: Any]]) ?? []
        let headers = capabilities.first { $0["name"] as? String == "gadget headers" }
        #expect(headers?["found"] as? Bool == true && headers?["path"] as? String == "/usr/share/gadgetc/bpf/include/gadget", "\(capabilities)")
    }
}
