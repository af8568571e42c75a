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
    func job(output: String, depfile: String? = nil, includes: [String] = [], folder: String = "/g") -> Job {
        let invocation = ClangInvocation(clang: "clang", arch: .amd64, multiarchDirectory: "/usr/include/x86_64-linux-gnu",
                                         action: .compile(source: "program.bpf.c"), includeDirectories: includes,
                                         depfile: depfile, output: output)
        return .compile(invocation, workingDirectory: folder, outputs: [output])
    }

    @Test func outputAndDepfilePathsDoNotMatter() {
        let a = job(output: "/tmp/a/x.o", depfile: "/tmp/a/x.d")
        let b = job(output: "/tmp/b/x.o", depfile: "/tmp/b/x.d")
        #expect(BuildCache.compileKey(job: a, compilerIdentity: "clang 16") == BuildCache.compileKey(job: b, compilerIdentity: "clang 16"))
    }

    @Test func flagsFolderAndCompilerDo() {
        let base = job(output: "x.o")
        let key = BuildCache.compileKey(job: base, compilerIdentity: "clang 16")
        #expect(key != BuildCache.compileKey(job: base, compilerIdentity: "clang 21"))
        #expect(key != BuildCache.compileKey(job: job(output: "x.o", includes: ["/mine"]), compilerIdentity: "clang 16"))
        #expect(key != BuildCache.compileKey(job: job(output: "x.o", folder: "/other"), compilerIdentity: "clang 16"))
        var withPCH = base.clang!
        withPCH.precompiledHeader = "/c/v.pch"
        #expect(key != BuildCache.compileKey(job: .compile(withPCH, workingDirectory: "/g", outputs: ["x.o"]), compilerIdentity: "clang 16"))
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
        let root = try TemporaryFolder("prune")
        defer { root.remove() }
        let location = CacheLocation(root: root.url)
        let store = ObjectStore(root: try location.makeFolder("objects"))
        let old = try store.put(Data(repeating: 1, count: 4000))
        let new = try store.put(Data(repeating: 2, count: 4000))
        let oldPath = store.path(old).path
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: oldPath)
        let result = try CacheMaintenance(location: location).prune(maxBytes: 5000)
        #expect(result.removedFiles == 1)
        #expect(store.get(old) == .missing)
        #expect(store.get(new) == .hit(Data(repeating: 2, count: 4000)))
    }

    @Test func staleLocksAndTemporariesGoFirst() throws {
        let root = try TemporaryFolder("locks")
        defer { root.remove() }
        let location = CacheLocation(root: root.url)
        _ = try location.makeFolder("pch")
        let key = String(repeating: "a", count: 24), other = String(repeating: "b", count: 24)
        try root.write("pch/\(key)-amd64.pch.lock", age: 3600)
        try root.write("pch/\(other)-amd64.pch.lock")
        try root.write("pch/\(key)-amd64.pch")
        let result = try CacheMaintenance(location: location).prune(maxBytes: 1 << 30)
        #expect(result.removedFiles == 1)
        #expect(!root.exists("pch/\(key)-amd64.pch.lock"), "a lock older than a PCH build can take is stale")
        #expect(root.exists("pch/\(other)-amd64.pch.lock") && root.exists("pch/\(key)-amd64.pch"))
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

/// The no-op record's fingerprints: what moved during a build is never vouched for.
@Suite struct BuildRecordUnitTests {
    func outcome(inputs: [String]) -> BuildOutcome {
        BuildOutcome(gadget: "/g", image: "g:latest", digest: "sha256:0", destination: "/store", compiler: nil, builderImage: nil,
                     architectures: [.init(arch: .amd64, toolchain: .native, reasons: [], object: nil, programs: [], maps: [], verification: nil)],
                     inputs: inputs, elapsedMilliseconds: 0, peakMemoryKiB: 0)
    }

    func probe(vmlinuxDirectory: String) -> ProbeReport {
        ProbeReport(gadgetcVersion: "t", hostArchitecture: "amd64", capabilities: [], compilers: [], chosenCompiler: nil, compilerReason: nil,
                    includeLayout: nil, vmlinux: ["amd64": VmlinuxSource(kind: .kernelBTF, includeDirectory: vmlinuxDirectory, btfPath: "/sys/kernel/btf/vmlinux")],
                    decisions: [], elapsedMilliseconds: 0)
    }

    @Test func aFileWrittenDuringTheBuildIsRacy() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-racy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let old = root.appendingPathComponent("old.h").path, fresh = root.appendingPathComponent("fresh.c").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: old))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: old)
        let started = BuildRecord.now()
        try Data("written while the build ran".utf8).write(to: URL(fileURLWithPath: fresh))
        // The build generated vmlinux.h after the probe found none: the probe's answer is stale.
        let generated = root.appendingPathComponent("amd64")
        try FileManager.default.createDirectory(at: generated, withIntermediateDirectories: true)
        try Data("struct task_struct;".utf8).write(to: generated.appendingPathComponent("vmlinux.h"))

        let record = BuildRecord.make(request: BuildRequest(gadgetFolder: root.path), environment: ["PATH": "/usr/bin"],
                                      outcome: outcome(inputs: [old, fresh]), probe: probe(vmlinuxDirectory: generated.path), started: started)
        #expect(record.fingerprints[fresh] == BuildRecord.racy)
        #expect(record.fingerprints[old] == FileFingerprint(path: old)?.description)
        #expect(!record.isCurrent, "a racy input is looked at again")
        #expect(record.probe == nil && record.reusableProbe == nil)
        // The generated vmlinux.h is this build's own doing: vouched for, not racy.
        let header = generated.appendingPathComponent("vmlinux.h").path
        #expect(record.fingerprints[header] == FileFingerprint(path: header)?.description)

        // The same build a while later: nothing racy, the probe's answer kept and reusable.
        let later = BuildRecord.make(request: BuildRequest(gadgetFolder: root.path), environment: ["PATH": "/usr/bin"],
                                     outcome: outcome(inputs: [old, fresh]), probe: probe(vmlinuxDirectory: generated.path),
                                     started: BuildRecord.now() + 1_000_000_000)
        #expect(later.isCurrent && later.reusableProbe != nil)
        try Data("struct task_struct { int pid; };".utf8).write(to: generated.appendingPathComponent("vmlinux.h"))
        #expect(later.reusableProbe == nil, "a vmlinux.h that moved re-runs the probe")
    }
}
