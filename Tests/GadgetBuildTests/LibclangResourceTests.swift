import Foundation
import Testing
@testable import GadgetBuild

/// libclang finds clang's own headers (stdbool.h) wherever the distribution put them.
struct LibclangResourceTests {
    @Test func debiansLayoutFindsTheLLVMFolder() {
        let present: Set<String> = ["/usr/lib/llvm-16/lib/clang/16/include/stdbool.h", "/opt/swift/usr/lib/clang/21/include/stdbool.h"]
        #expect(Libclang.builtinHeaderArguments(library: "/usr/lib/x86_64-linux-gnu/libclang-16.so.16.0.6", major: 16, fileExists: present.contains)
                == ["-isystem", "/usr/lib/llvm-16/lib/clang/16/include"])
        // Where libclang looks by itself: nothing to add.
        #expect(Libclang.builtinHeaderArguments(library: "/opt/swift/usr/lib/libclang.so", major: 21, fileExists: present.contains) == [])
        #expect(Libclang.builtinHeaderArguments(library: "/usr/lib/x86_64-linux-gnu/libclang-15.so", major: 15, fileExists: present.contains) == [])
        #expect(Libclang.builtinHeaderArguments(library: "/x/libclang.so", major: nil, fileExists: { _ in true }) == [])
    }

    @Test func theLibraryOfTheCompilersInstallation() {
        let listing = ["/opt/swift/usr/lib": ["libclang.so", "libclang.so.21.0", "libclang-cpp.so", "libswiftCore.so"], "/usr/lib/llvm-16/lib": ["libclang-16.so.1", "libclang.so.1"]]
        #expect(Libclang.besideCompiler("/opt/swift/usr/bin/clang", listDirectory: { listing[$0] ?? [] }) == "/opt/swift/usr/lib/libclang.so")
        #expect(Libclang.besideCompiler("/usr/lib/llvm-16/bin/clang", listDirectory: { listing[$0] ?? [] }) == "/usr/lib/llvm-16/lib/libclang.so.1")
        #expect(Libclang.besideCompiler("/usr/local/bin/clang", listDirectory: { listing[$0] ?? [] }) == nil)
    }

    /// Every installed libclang parses a source that includes stdbool.h, with no error.
    @Test(arguments: ["/usr/lib/x86_64-linux-gnu/libclang-16.so.16.0.6", "/opt/swift/usr/lib/libclang.so"])
    func clangsOwnHeadersAreFound(path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let library = try Libclang.load(environment: ["GADGETC_LIBCLANG": path])
        let folder = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask, appropriateFor: URL(fileURLWithPath: NSTemporaryDirectory()), create: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("t.c")
        try "#include <stdbool.h>\nbool x = true;\n".write(to: source, atomically: true, encoding: .utf8)
        let diagnostics = try LibclangFrontEnd(library: library).diagnostics(source: source.path, arguments: ["-target", "bpf"] + library.builtinHeaderArguments, key: "t")
        #expect(diagnostics.isEmpty, "\(library.version): \(diagnostics)")
    }
}
