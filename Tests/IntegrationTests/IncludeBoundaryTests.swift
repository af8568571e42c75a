import Foundation
import Testing
@testable import GadgetBuild

/// Issue 13, point 3: a compile reads only the gadget folder and the include folders, as ig's builder
/// container would; clang's messages never quote a file from anywhere else.
@Suite struct IncludeBoundaryTests {
    func build(_ gadget: URL, root: URL) async throws -> ProcessResult {
        try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                "--oci-layout", root.appendingPathComponent("layout").path],
                               environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
    }

    @Test func anOutsideFileIsNeitherQuotedNorBuiltIn() async throws {
        let root = try Fixtures.temporaryDirectory("include-boundary")
        defer { try? FileManager.default.removeItem(at: root) }
        let secret = root.appendingPathComponent("elsewhere/secret.h")
        try FileManager.default.createDirectory(at: secret.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "root:SECRET_HASH_1234:19000:0:99999:7:::\n".write(to: secret, atomically: true, encoding: .utf8)
        let gadget = root.appendingPathComponent("trace_signal")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let original = try String(contentsOf: source, encoding: .utf8)

        // By absolute path: clang fails on it; its messages about that file keep only the location.
        try "#include \"\(secret.path)\"\n\(original)".write(to: source, atomically: true, encoding: .utf8)
        let quoted = try await build(gadget, root: root)
        #expect(!quoted.succeeded)
        #expect(!quoted.standardError.contains("SECRET_HASH_1234"), "\(quoted.standardError)")
        #expect(quoted.standardError.contains("not shown: \(secret.path) is outside the gadget folder"), "\(quoted.standardError)")

        // Through a header of the folder linked to a valid header elsewhere: it compiles, and is refused.
        try "#define FROM_ELSEWHERE 1\n".write(to: secret, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: gadget.appendingPathComponent("linked.h").path, withDestinationPath: secret.path)
        try "#include \"linked.h\"\n\(original)".write(to: source, atomically: true, encoding: .utf8)
        let linked = try await build(gadget, root: root)
        #expect(!linked.succeeded)
        let errors = linked.standardError.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(errors.count == 1 && errors[0].contains("(a link to \(secret.path)), which is outside the gadget folder"), "\(errors)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("layout/index.json").path), "no image")

        // Its folder named with -I: allowed.
        let allowed = try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                              "-I", secret.deletingLastPathComponent().path,
                                              "--oci-layout", root.appendingPathComponent("layout").path],
                                             environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        #expect(allowed.succeeded, "\(allowed.standardError)")
    }

    /// A ccache-style wrapper script named as the compiler: clang's own headers (stdbool.h, in its resource
    /// folder, which the wrapper's path does not lead to) are allowed; a file outside still is not.
    @Test func aWrapperScriptAsTheCompilerBuildsAndTheBoundaryHolds() async throws {
        let root = try Fixtures.temporaryDirectory("include-wrapper")
        defer { try? FileManager.default.removeItem(at: root) }
        let wrapper = root.appendingPathComponent("tools/ccache/bin/clang-16")  // its installation folder: tools/ccache
        try FileManager.default.createDirectory(at: wrapper.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "#!/bin/sh\nexec /usr/bin/clang-16 \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper.path, 0o755)
        let gadget = root.appendingPathComponent("trace_exec")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_exec"), to: gadget)
        func build() async throws -> ProcessResult {
            try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                    "--oci-layout", root.appendingPathComponent("layout").path, "--no-cache"],
                                   environment: ["GADGETC_CLANG": wrapper.path, "GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        }
        let built = try await build()
        #expect(built.succeeded, "\(built.standardError)")
        let outside = root.appendingPathComponent("elsewhere.h")
        try "#define ELSEWHERE 1\n".write(to: outside, atomically: true, encoding: .utf8)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let edited = "#include \"\(outside.path)\"\n" + (try String(contentsOf: source, encoding: .utf8))
        try edited.write(to: source, atomically: true, encoding: .utf8)
        let refused = try await build()
        #expect(!refused.succeeded && refused.standardError.contains("outside the gadget folder"), "\(refused.standardError)")
    }

    @Test func redactionKeepsOnlyTheLocation() {
        let readable = ReadableFolders(["/g"])
        let text = """
            /etc/shadow:1:5: error: unknown type name 'root'
                1 | root:HASH:19000
                  | ^
            /g/program.bpf.c:3:1: warning: unused variable 'x'
                3 | int x;
            In file included from /g/program.bpf.c:1:
            """
        let redacted = readable.redacting(text, relativeTo: "/g")
        #expect(!redacted.contains("HASH") && !redacted.contains("'root'"))
        #expect(redacted.contains("/etc/shadow:1:5: error: (not shown: /etc/shadow is outside the gadget folder and the include folders)"))
        #expect(redacted.contains("/g/program.bpf.c:3:1: warning: unused variable 'x'") && redacted.contains("    3 | int x;"))
    }
}
