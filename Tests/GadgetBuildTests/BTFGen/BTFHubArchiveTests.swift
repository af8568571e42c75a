import Foundation
import Testing
@testable import GadgetBuild

/// Which files of a BTFHub archive are an arch's kernels, and the names ig looks them up by.
@Suite struct BTFHubArchiveTests {
    func archive(_ files: [String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-btfhub-\(UUID().uuidString)")
        for file in files {
            let url = root.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.utf8).write(to: url)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }

    @Test func kernelsOfOneArchKeepTheirPathAsTheEntryName() throws {
        let root = try archive([
            "ubuntu/20.04/x86_64/5.4.0-1009-aws.btf.tar.xz", "ubuntu/20.04/arm64/5.4.0-1009-aws.btf.tar.xz",
            "centos/8/x86_64/4.18.0-80.el8.x86_64.btf.tar.xz", "debian/11/x86_64/5.10.0-8-amd64.btf",
            "debian/11/x86_64/README.md", "debian/11/x86_64/.hidden.btf", "fedora/36/X86_64/5.17.btf.tar.xz",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let (kernels, folders) = try BTFHubArchive(root: root.path).kernels(for: .amd64)
        #expect(kernels.map(\.entryName) == ["centos/8/x86_64/4.18.0-80.el8.x86_64.btf", "debian/11/x86_64/5.10.0-8-amd64.btf",
                                             "fedora/36/X86_64/5.17.btf", "ubuntu/20.04/x86_64/5.4.0-1009-aws.btf"])
        #expect(kernels.map(\.isCompressed) == [true, false, true, true])
        #expect(kernels[0].btfFileName == "4.18.0-80.el8.x86_64.btf")
        #expect(folders.contains(root.appendingPathComponent("debian/11/x86_64").path))
        let arm = try BTFHubArchive(root: root.path).kernels(for: .arm64).kernels
        #expect(arm.map(\.entryName) == ["ubuntu/20.04/arm64/5.4.0-1009-aws.btf"])
        #expect(BTFHubArchive.misplaced(kernels).isEmpty)
    }

    @Test func aTarballAndItsUnpackedFileAreOneKernel() throws {
        let root = try archive(["u/1/x86_64/k.btf.tar.xz", "u/1/x86_64/k.btf"])
        defer { try? FileManager.default.removeItem(at: root) }
        let kernels = try BTFHubArchive(root: root.path).kernels(for: .amd64).kernels
        #expect(kernels.count == 1)
        #expect(kernels.first?.isCompressed == true)
    }

    @Test func aSubfolderGivenAsTheRootIsReportedAsMisplaced() throws {
        let root = try archive(["20.04/x86_64/5.4.btf.tar.xz"])
        defer { try? FileManager.default.removeItem(at: root) }
        let kernels = try BTFHubArchive(root: root.path).kernels(for: .amd64).kernels
        #expect(BTFHubArchive.misplaced(kernels).map(\.entryName) == ["20.04/x86_64/5.4.btf"])
    }

    @Test func missingEmptyOrFileArchivesAreErrors() throws {
        let root = try archive(["ubuntu/20.04/arm64/5.4.btf.tar.xz"])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: BTFGenError.noKernels(root.path, arch: .amd64)) { try BTFHubArchive(root: root.path).kernels(for: .amd64) }
        let missing = root.appendingPathComponent("nope").path
        #expect(throws: BTFGenError.archiveMissing(missing)) { try BTFHubArchive(root: missing).kernels(for: .amd64) }
        let file = root.appendingPathComponent("ubuntu/20.04/arm64/5.4.btf.tar.xz").path
        #expect(throws: BTFGenError.archiveNotAFolder(file, "a regular file")) { try BTFHubArchive(root: file).kernels(for: .arm64) }
    }

    @Test func bpftoolsVersionIsReadFromItsOwnWords() {
        #expect(BPFTool.parseVersion("/usr/sbin/bpftool v7.1.0\nusing libbpf v1.1\nfeatures: libbpf_strict\n") == "7.1.0 (libbpf 1.1)")
        #expect(BPFTool.parseVersion("bpftool v7.3.0\n") == "7.3.0")
        #expect(BPFTool.parseVersion("usage: something else\n") == nil)
        #expect(BPFTool.locate(environment: ["PATH": "/a:/b"], isExecutable: { $0 == "/b/bpftool" || $0 == "/usr/sbin/bpftool" }) == "/b/bpftool")
        #expect(BPFTool.locate(environment: ["PATH": "/a"], isExecutable: { $0 == "/usr/sbin/bpftool" }) == "/usr/sbin/bpftool")
        #expect(BPFTool.locate(environment: ["GADGETC_BPFTOOL": "/x/bpftool"], isExecutable: { _ in false }) == nil)
    }

    @Test func theLayerGoesAfterTheProgramInItsArchsManifestOnly() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        var request = BuildRequest(gadgetFolder: "/g", architectures: [.amd64, .arm64])
        request.btfHubArchive = "/archive/./btfhub"
        let plan = try BuildPlanner(probe: report).plan(request, gadget: GadgetFolder(root: URL(fileURLWithPath: "/g"), ebpfSources: ["program.bpf.c"]),
                                                        workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        let jobs = plan.jobs(.btfgen)
        #expect(jobs.map(\.outputs) == [["/w/btfs-x86_64.tar.gz"], ["/w/btfs-arm64.tar.gz"]])
        #expect(jobs.map(\.inputs) == [["/w/amd64.bpf.o", "/archive/btfhub"], ["/w/arm64.bpf.o", "/archive/btfhub"]])
        #expect(plan.jobs.firstIndex { $0.kind == .btfgen }! > plan.jobs.firstIndex { $0.kind == .check }!)
    }
}

/// The archive's file digests remembered between builds.
@Suite struct KernelDigestsTests {
    @Test func aKernelThatIsNoLongerAFileSaysWhatToDo() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-kd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("5.4.btf.tar.xz").path
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(throws: BTFGenError.kernelUnreadable(fifo, "not a regular file any more")) { try KernelDigests.digest(of: fifo, known: nil) }
        #expect(BTFGenError.kernelUnreadable(fifo, "x").description.contains("remove it from the archive"))
    }

    @Test func aRememberedDigestIsUsedOnlyWhileTheFingerprintHolds() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-kd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("k.btf.tar.xz")
        try Data("first".utf8).write(to: file)
        let fingerprint = try #require(FileFingerprint(path: file.path)).description
        let remembered = KernelDigests.Entry(fingerprint: fingerprint, digest: "remembered")
        #expect(try KernelDigests.digest(of: file.path, known: remembered).0 == "remembered")
        let stale = KernelDigests.Entry(fingerprint: "0-0-0-0", digest: "remembered")
        #expect(try KernelDigests.digest(of: file.path, known: stale).0 == ContentDigest.hex(Data("first".utf8)))
    }
}
