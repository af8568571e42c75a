import Foundation
import Testing
@testable import GadgetBuild

@Suite struct DepfileTests {
    @Test func readsContinuationsEscapesAndRelativePaths() {
        let text = "/w/amd64/amd64.bpf.o: program.bpf.c \\\n  /usr/include/bpf/bpf_helpers.h local\\ dir/x.h \\\n ../shared.h\n"
        #expect(Depfile.dependencies(text, relativeTo: "/g/trace") == [
            "/g/trace/program.bpf.c", "/usr/include/bpf/bpf_helpers.h", "/g/trace/local dir/x.h", "/g/shared.h",
        ])
    }

    @Test func dropsDuplicatesAndHandlesEmptyInput() {
        #expect(Depfile.dependencies("o: a.h a.h\n", relativeTo: "/g") == ["/g/a.h"])
        #expect(Depfile.dependencies("", relativeTo: "/g").isEmpty)
    }
}

@Suite struct CompileKeyTests {
    func job(_ argv: [String], folder: String = "/g") -> Job {
        Job(kind: .compile, arch: .amd64, argv: argv, workingDirectory: folder, inputs: ["program.bpf.c"], outputs: [argv.last ?? ""])
    }

    @Test func outputAndDepfilePathsDoNotMatter() {
        let a = job(["clang", "-c", "program.bpf.c", "-MD", "-MF", "/tmp/a/x.d", "-o", "/tmp/a/x.o"])
        let b = job(["clang", "-c", "program.bpf.c", "-MD", "-MF", "/tmp/b/x.d", "-o", "/tmp/b/x.o"])
        #expect(BuildCache.compileKey(job: a, compilerIdentity: "clang 16") == BuildCache.compileKey(job: b, compilerIdentity: "clang 16"))
    }

    @Test func flagsFolderAndCompilerDo() {
        let base = job(["clang", "-c", "program.bpf.c", "-o", "x.o"])
        let key = BuildCache.compileKey(job: base, compilerIdentity: "clang 16")
        #expect(key != BuildCache.compileKey(job: base, compilerIdentity: "clang 21"))
        #expect(key != BuildCache.compileKey(job: job(["clang", "-c", "program.bpf.c", "-DX", "-o", "x.o"]), compilerIdentity: "clang 16"))
        #expect(key != BuildCache.compileKey(job: job(["clang", "-c", "program.bpf.c", "-o", "x.o"], folder: "/other"), compilerIdentity: "clang 16"))
    }
}

@Suite struct CacheMaintenanceTests {
    @Test func parsesSizes() {
        #expect(CacheMaintenance.parseSize("2G") == 2 << 30)
        #expect(CacheMaintenance.parseSize("500m") == 500 << 20)
        #expect(CacheMaintenance.parseSize("1024") == 1024)
        #expect(CacheMaintenance.parseSize("abc") == nil)
        #expect(CacheMaintenance.parseSize("-1") == nil)
    }

    @Test func prunesLeastRecentlyUsedFirst() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-prune-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = ObjectStore(root: root.appendingPathComponent("objects"))
        let old = try store.put(Data(repeating: 1, count: 4000))
        let new = try store.put(Data(repeating: 2, count: 4000))
        let oldPath = store.path(old).path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: oldPath)
        let result = try CacheMaintenance(location: CacheLocation(root: root)).prune(maxBytes: 5000)
        #expect(result.removedFiles == 1)
        #expect(store.get(old) == .missing)
        #expect(store.get(new) == .hit(Data(repeating: 2, count: 4000)))
    }

    @Test func aCorruptObjectIsReportedAndRemoved() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-corrupt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = ObjectStore(root: root)
        let digest = try store.put(Data("object".utf8))
        try Data("tampered".utf8).write(to: store.path(digest))
        #expect(store.get(digest) == .corrupt)
        #expect(store.get(digest) == .missing)
    }
}
