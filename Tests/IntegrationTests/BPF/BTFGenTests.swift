import Foundation
import Testing
@testable import GadgetBuild

/// A BTFHub-style archive made here from this kernel's BTF: `<distro>/<version>/<arch>/<kernel>.btf.tar.xz`,
/// each tarball holding `<kernel>.btf` as BTFHub packs them. Every kernel's tarball has other bytes (the
/// member's name differs), so each one is its own cache entry, as real kernels are.
struct BTFHubFixture {
    let root: URL

    static let kernelBTF = "/sys/kernel/btf/vmlinux"
    static var isUsable: Bool {
        FileManager.default.isReadableFile(atPath: kernelBTF) && BPFTool.locate(environment: ProcessInfo.processInfo.environment,
                                                                               isExecutable: FileManager.default.isExecutableFile) != nil
    }

    /// `kernels` names per arch folder, under `ubuntu/20.04` and `debian/11` alternately.
    init(at root: URL, kernels: Int, arches: [String] = ["x86_64", "arm64"]) async throws {
        self.root = root
        for arch in arches {
            for index in 0..<kernels {
                try await add(distro: index % 2 == 0 ? "ubuntu/20.04" : "debian/11", arch: arch, kernel: "5.\(index).0-\(arch)-test")
            }
        }
    }

    /// Adds one kernel's tarball; returns its path.
    @discardableResult
    func add(distro: String, arch: String, kernel: String, btf: String = BTFHubFixture.kernelBTF, preset: String = "-0") async throws -> URL {
        let folder = root.appendingPathComponent("\(distro)/\(arch)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let staging = root.appendingPathComponent(".staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        try Data(contentsOf: URL(fileURLWithPath: btf)).write(to: staging.appendingPathComponent("\(kernel).btf"))
        let tarball = folder.appendingPathComponent("\(kernel).btf.tar.xz")
        let result = try await Fixtures.run(["tar", "-cJf", tarball.path, "-C", staging.path, "\(kernel).btf"], environment: ["XZ_OPT": preset])
        #expect(result.succeeded, "\(result.standardError)")
        return tarball
    }
}

/// `--btfgen --btfhub-archive`: the real bpftool on this kernel's BTF, the real gadgetc binary.
@Suite(.enabled(if: BTFHubFixture.isUsable, "needs /sys/kernel/btf/vmlinux and bpftool (.ci/setup installs it)"))
struct BTFGenTests {
    struct Build {
        var result: ProcessResult
        var outcome: BuildOutcome?
        var digest: String? { outcome?.digest }
    }

    /// `gadgetc build --json` of `gadget` with btfgen, in a private cache.
    func build(_ gadget: URL, archive: URL, cache: URL, layout: URL, extra: [String] = [],
               environment: [String: String] = [:]) async throws -> Build {
        let result = try await Fixtures.run(
            [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--btfgen", "--btfhub-archive", archive.path,
             "--oci-layout", layout.path, "--json"] + extra,
            environment: ["SOURCE_DATE_EPOCH": "0", "GADGETC_CACHE_DIR": cache.path].merging(environment) { $1 })
        let outcome = result.succeeded ? try JSONDecoder().decode(BuildOutcome.self, from: Data(result.standardOutput.utf8)) : nil
        return Build(result: result, outcome: outcome)
    }

    /// The btfgen layer of `arch` in the image of `layout`: (manifest layer media types, the layer's bytes).
    func layer(_ layout: URL, arch: String) throws -> (mediaTypes: [String], bytes: Data) {
        func blob(_ digest: String) throws -> Data {
            try Data(contentsOf: layout.appendingPathComponent("blobs/sha256/\(digest.dropFirst("sha256:".count))"))
        }
        func object(_ data: Data) throws -> [String: Any] { try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]) }
        let top = try object(Data(contentsOf: layout.appendingPathComponent("index.json")))
        let index = try object(blob(try #require((top["manifests"] as? [[String: Any]])?.first?["digest"] as? String)))
        let entry = try #require((index["manifests"] as? [[String: Any]])?.first { ($0["platform"] as? [String: Any])?["architecture"] as? String == arch })
        let manifest = try object(blob(try #require(entry["digest"] as? String)))
        let layers = try #require(manifest["layers"] as? [[String: Any]])
        let types = layers.compactMap { $0["mediaType"] as? String }
        let btfgen = try #require(layers.first { $0["mediaType"] as? String == GadgetMediaType.btfgen })
        return (types, try blob(try #require(btfgen["digest"] as? String)))
    }

    /// The names in a tar.gz exactly as tar stores them (what ig's `hdr.Name` compares with).
    func names(_ tarball: Data, in folder: URL) async throws -> [String] {
        let file = folder.appendingPathComponent("layer-\(UUID().uuidString).tar.gz")
        try tarball.write(to: file)
        let list = try await Fixtures.run(["tar", "-tzf", file.path])
        #expect(list.succeeded, "\(list.standardError)")
        return list.standardOutput.split(separator: "\n").map(String.init)
    }

    @Test func theLayerHoldsOneMinimalBTFPerKernelUnderTheNameIgLooksUp() async throws {
        let root = try Fixtures.temporaryDirectory("btfgen-content")
        defer { try? FileManager.default.removeItem(at: root) }
        let archive = try await BTFHubFixture(at: root.appendingPathComponent("btfhub-archive"), kernels: 3)
        let gadget = root.appendingPathComponent("trace_exec")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_exec"), to: gadget)
        let output = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let layout = root.appendingPathComponent("layout")
        let built = try await build(gadget, archive: archive.root, cache: root.appendingPathComponent("cache"), layout: layout,
                                    extra: ["-o", output.path])
        #expect(built.result.succeeded, "\(built.result.standardError)")
        #expect(built.outcome?.architectures.map { $0.btfgen?.kernels } == [3, 3])

        for (arch, folder) in [("amd64", "x86_64"), ("arm64", "arm64")] {
            let (types, bytes) = try layer(layout, arch: arch)
            #expect(types == [GadgetMediaType.eBPFProgram, GadgetMediaType.btfgen])
            // ig's btfgen operator reads the entry `<ID>/<VERSION_ID>/<arch>/<uname -r>.btf`, name for name.
            let names = try await names(bytes, in: root)
            let files = names.filter { !$0.hasSuffix("/") }
            #expect(files == ["debian/11/\(folder)/5.1.0-\(folder)-test.btf", "ubuntu/20.04/\(folder)/5.0.0-\(folder)-test.btf",
                              "ubuntu/20.04/\(folder)/5.2.0-\(folder)-test.btf"])
            #expect(!names.contains { $0.hasPrefix("./") || $0.hasPrefix("/") })
            // Each entry is what bpftool itself makes from that kernel and the image's object.
            let unpacked = root.appendingPathComponent("unpacked-\(arch)")
            try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
            let file = root.appendingPathComponent("btfs-\(arch).tar.gz")
            try bytes.write(to: file)
            #expect(try await Fixtures.run(["tar", "-xzf", file.path, "-C", unpacked.path]).succeeded)
            let direct = root.appendingPathComponent("direct-\(arch).btf")
            let bpftool = try BPFTool.required(environment: ProcessInfo.processInfo.environment)
            let run = try await Fixtures.run([bpftool, "gen", "min_core_btf", BTFHubFixture.kernelBTF, direct.path,
                                              output.appendingPathComponent("\(arch).bpf.o").path])
            #expect(run.succeeded, "\(run.standardError)")
            for name in files {
                #expect(try Data(contentsOf: unpacked.appendingPathComponent(name)) == Data(contentsOf: direct), "\(name)")
            }
            // And it is BTF libbpf reads, with the kernel types the object relocates against.
            let dump = try await Fixtures.run([bpftool, "btf", "dump", "file", unpacked.appendingPathComponent(files[0]).path])
            #expect(dump.succeeded && dump.standardOutput.contains("STRUCT 'task_struct'"), "\(dump.standardError)")
        }
    }

    @Test func theSameInputsGiveTheSameLayerWhateverTheCacheJobsOrFolder() async throws {
        let root = try Fixtures.temporaryDirectory("btfgen-repro")
        defer { try? FileManager.default.removeItem(at: root) }
        let archive = try await BTFHubFixture(at: root.appendingPathComponent("btfhub-archive"), kernels: 4, arches: ["x86_64"])
        var digests: [String] = []
        var layers: [Data] = []
        for (index, extra) in [["-j", "1"], ["-j", "4"], ["--no-cache", "-j", "2"]].enumerated() {
            let gadget = root.appendingPathComponent("checkout-\(index)/deeper/trace_exec")
            try FileManager.default.createDirectory(at: gadget.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_exec"), to: gadget)
            let layout = root.appendingPathComponent("layout-\(index)")
            let built = try await build(gadget, archive: archive.root, cache: root.appendingPathComponent("cache-\(index)"), layout: layout,
                                        extra: ["--arch", "amd64"] + extra)
            #expect(built.result.succeeded, "\(built.result.standardError)")
            digests.append(built.digest ?? "failed \(index)")
            layers.append(try layer(layout, arch: "amd64").bytes)
        }
        #expect(Set(digests).count == 1, "\(digests)")
        #expect(Set(layers).count == 1)
    }

    @Test func aRebuildMinimisesOnlyWhatChanged() async throws {
        let root = try Fixtures.temporaryDirectory("btfgen-cache")
        defer { try? FileManager.default.removeItem(at: root) }
        let archive = try await BTFHubFixture(at: root.appendingPathComponent("btfhub-archive"), kernels: 3, arches: ["x86_64"])
        let sandbox = try BinarySandbox("btfgen-cache")
        defer { sandbox.remove() }
        let cache = root.appendingPathComponent("cache"), layout = root.appendingPathComponent("layout")
        func minimised() async throws -> (Int?, Int?) {
            let built = try await build(sandbox.gadget, archive: archive.root, cache: cache, layout: layout, extra: ["--arch", "amd64"])
            #expect(built.result.succeeded, "\(built.result.standardError)")
            let summary = built.outcome?.architectures.first?.btfgen
            return (summary?.minimised, summary?.kernels)
        }
        let source = sandbox.gadget.appendingPathComponent("program.bpf.c")
        let original = try String(contentsOf: source, encoding: .utf8)
        func edit(_ value: Int) throws {
            try (original + "\nconst volatile int edit_value = \(value);\n").write(to: source, atomically: true, encoding: .utf8)
        }
        #expect(try await minimised() == (3, 3))
        // A new kernel in the archive: only it is minimised.
        try await archive.add(distro: "fedora/38", arch: "x86_64", kernel: "6.5.0-new")
        #expect(try await minimised() == (1, 4))
        // A kernel file replaced by other bytes (the same BTF packed at another xz level): hashed again, minimised again.
        try await archive.add(distro: "ubuntu/20.04", arch: "x86_64", kernel: "5.0.0-x86_64-test", preset: "-1")
        #expect(try await minimised() == (1, 4))
        // An edit changes the object: every kernel again, for that object.
        try edit(1)
        #expect(try await minimised() == (4, 4))
        // Back to an object seen before: all from the cache.
        try edit(2)
        _ = try await minimised()
        try edit(1)
        #expect(try await minimised() == (0, 4))
        // A byte copy of a cached kernel's tarball under another kernel's name holds no `<that kernel>.btf`:
        // refused as without a cache, never answered from it.
        let copy = archive.root.appendingPathComponent("ubuntu/20.04/x86_64/5.99.0-copy.btf.tar.xz")
        try FileManager.default.copyItem(at: archive.root.appendingPathComponent("ubuntu/20.04/x86_64/5.0.0-x86_64-test.btf.tar.xz"), to: copy)
        let refused = try await build(sandbox.gadget, archive: archive.root, cache: cache, layout: layout, extra: ["--arch", "amd64"])
        #expect(!refused.result.succeeded && refused.result.standardError.contains("it holds no 5.99.0-copy.btf"), "\(refused.result.standardError)")
    }

    @Test func badArchivesGetOneLineAndNoImage() async throws {
        let root = try Fixtures.temporaryDirectory("btfgen-errors")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("trace_exec")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_exec"), to: gadget)
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let corrupt = try await BTFHubFixture(at: root.appendingPathComponent("corrupt"), kernels: 1, arches: ["x86_64"])
        try Data("not xz".utf8).write(to: corrupt.root.appendingPathComponent("ubuntu/20.04/x86_64/5.9.0-bad.btf.tar.xz"))
        let notBTF = try await BTFHubFixture(at: root.appendingPathComponent("notbtf"), kernels: 0, arches: ["x86_64"])
        let junk = root.appendingPathComponent("junk.btf")
        try Data(repeating: 0x41, count: 64).write(to: junk)
        try await notBTF.add(distro: "ubuntu/20.04", arch: "x86_64", kernel: "5.9.0-junk", btf: junk.path)
        let wrongMember = root.appendingPathComponent("wrongmember/ubuntu/20.04/x86_64")
        try FileManager.default.createDirectory(at: wrongMember, withIntermediateDirectories: true)
        #expect(try await Fixtures.run(["tar", "-cJf", wrongMember.appendingPathComponent("5.9.0.btf.tar.xz").path, "-C", root.path, "junk.btf"]).succeeded)

        let cases: [(URL, String)] = [
            (root.appendingPathComponent("nowhere"), "does not exist"),
            (empty, "has no BTF for amd64"),
            (corrupt.root, "cannot unpack \(corrupt.root.path)/ubuntu/20.04/x86_64/5.9.0-bad.btf.tar.xz"),
            (notBTF.root, "bpftool gen min_core_btf failed for \(notBTF.root.path)/ubuntu/20.04/x86_64/5.9.0-junk.btf.tar.xz"),
            (root.appendingPathComponent("wrongmember"), "it holds no 5.9.0.btf"),
        ]
        for (index, (archive, message)) in cases.enumerated() {
            let layout = root.appendingPathComponent("layout-\(index)")
            let built = try await build(gadget, archive: archive, cache: root.appendingPathComponent("cache"), layout: layout, extra: ["--arch", "amd64"])
            #expect(!built.result.succeeded)
            let errors = built.result.standardError.split(separator: "\n").filter { $0.hasPrefix("error:") }
            #expect(errors.count == 1 && errors[0].contains(message), "\(built.result.standardError)")
            #expect(!FileManager.default.fileExists(atPath: layout.appendingPathComponent("index.json").path), "no image for \(archive.lastPathComponent)")
        }
    }

    /// No bpftool, the flags without each other, an archive's subfolder given as its root: each says
    /// what to do, and only the last one builds.
    @Test func missingBpftoolFlagsAndASubfolderSayWhatToDo() async throws {
        let root = try Fixtures.temporaryDirectory("btfgen-usage")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = root.appendingPathComponent("trace_signal")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_signal"), to: gadget)
        let archive = try await BTFHubFixture(at: root.appendingPathComponent("btfhub-archive"), kernels: 1, arches: ["x86_64"])
        let cache = root.appendingPathComponent("cache")

        let noTool = try await build(gadget, archive: archive.root, cache: cache, layout: root.appendingPathComponent("layout-1"),
                                     extra: ["--arch", "amd64"], environment: ["GADGETC_BPFTOOL": "/nonexistent/bpftool"])
        #expect(!noTool.result.succeeded)
        #expect(noTool.result.standardError.contains("--btfgen needs bpftool (GADGETC_BPFTOOL=/nonexistent/bpftool is not an executable file): apt-get install bpftool"),
                "\(noTool.result.standardError)")
        #expect(!noTool.result.standardError.contains("compile program.bpf.c"), "refused before any compile")

        for (arguments, message) in [(["--btfgen"], "--btfgen needs --btfhub-archive DIR"),
                                     (["--btfhub-archive", archive.root.path], "--btfhub-archive is only read with --btfgen")] {
            let result = try await Fixtures.run([Fixtures.gadgetc, "build", gadget.path, "--oci-layout", root.appendingPathComponent("layout-2").path] + arguments)
            #expect(result.status == 64 && result.standardError.contains(message), "\(result.standardError)")
        }

        // Progress and warnings are terminal lines (silent under --json, like every note).
        let subfolder = try await Fixtures.run(
            [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--arch", "amd64", "--btfgen",
             "--btfhub-archive", archive.root.appendingPathComponent("ubuntu").path, "--oci-layout", root.appendingPathComponent("layout-3").path],
            environment: ["GADGETC_CACHE_DIR": cache.path])
        #expect(subfolder.succeeded, "\(subfolder.standardError)")
        #expect(subfolder.standardError.contains("warning: [amd64] 1 of 1 BTF files are not at <distro>/<version>/x86_64/<kernel>.btf"),
                "\(subfolder.standardError)")
    }
}
