import Foundation
import GadgetBuild

/// A BTFHub-style archive for the btfgen scenarios: `kernelsPerArch` tarballs per arch
/// (`<distro>/<version>/<x86_64|arm64>/<kernel>.btf.tar.xz`), each this kernel's BTF (5 MB, as real
/// kernels' are) under its own name, so every tarball has its own bytes and its own cache entry.
/// Packed with `xz -0` to make 500 of them in a minute; unpacking costs about what BTFHub's `-9` files cost.
struct BenchBTFHub {
    let root: String
    private(set) var added = 0

    static let distros = ["ubuntu/20.04", "ubuntu/22.04", "debian/11", "centos/8", "fedora/38", "amzn/2"]

    static func make(at root: String, kernelsPerArch: Int, runner: ProcessRunner) async throws -> BenchBTFHub {
        let staging = "\(root)/.staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let work = ["x86_64", "arm64"].flatMap { arch in (0..<kernelsPerArch).map { (arch, $0) } }
        // Two tar|xz at a time: the machine's cores.
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = work.makeIterator()
            func next() -> Bool {
                guard let (arch, index) = pending.next() else { return false }
                group.addTask { try await pack(root: root, staging: staging, distro: distros[index % distros.count], arch: arch,
                                               kernel: "5.\(index).0-\(index % 97)-bench", runner: runner) }
                return true
            }
            for _ in 0..<max(1, ProcessInfo.processInfo.activeProcessorCount) { _ = next() }
            while try await group.next() != nil { _ = next() }
        }
        return BenchBTFHub(root: root)
    }

    static func pack(root: String, staging: String, distro: String, arch: String, kernel: String, runner: ProcessRunner) async throws {
        let folder = "\(root)/\(distro)/\(arch)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let own = "\(staging)/\(arch)-\(kernel)"
        try FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/sys/kernel/btf/vmlinux", toPath: "\(own)/\(kernel).btf")
        _ = try await timedRun(runner, ["/usr/bin/env", "XZ_OPT=-0", "tar", "-cJf", "\(folder)/\(kernel).btf.tar.xz", "-C", own, "\(kernel).btf"])
        try FileManager.default.removeItem(atPath: own)
    }

    /// One more x86_64 kernel (the "new kernel in the archive" scenario).
    mutating func addKernel(runner: ProcessRunner) async throws {
        added += 1
        let staging = "\(root)/.staging-\(added)"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try await Self.pack(root: root, staging: staging, distro: "ubuntu/24.04", arch: "x86_64", kernel: "6.\(added).0-new-bench", runner: runner)
    }

    /// Every kernel tarball of `arch` (BTFHub's folder name), sorted.
    func tarballs(_ arch: String) -> [String] {
        let walker = FileManager.default.enumerator(atPath: root)
        var found: [String] = []
        while let path = walker?.nextObject() as? String {
            if path.hasSuffix(".btf.tar.xz"), path.split(separator: "/").contains(Substring(arch)) { found.append("\(root)/\(path)") }
        }
        return found.sorted()
    }
}

/// ig's btfgen step for one arch (cmd/common/image/build-step.go), one kernel after the other: unpack the
/// tarball, `bpftool gen min_core_btf`, remove the unpacked file; then `tar czf` the results.
struct BaselineBTFGen {
    var bpftool: String
    var archive: BenchBTFHub

    func run(_ runner: ProcessRunner, object: String, arch: String, outputDirectory: String) async throws {
        let btfs = "\(outputDirectory)/btfs/\(arch)"
        let scratch = "\(outputDirectory)/unpacked-\(arch)"
        try FileManager.default.createDirectory(atPath: btfs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        for tarball in archive.tarballs(arch) {
            let name = URL(fileURLWithPath: tarball).lastPathComponent.replacingOccurrences(of: ".tar.xz", with: "")
            _ = try await timedRun(runner, ["tar", "xfJ", tarball, "-C", scratch, "--touch"])
            _ = try await timedRun(runner, [bpftool, "gen", "min_core_btf", "\(scratch)/\(name)", "\(btfs)/\(name)", object])
            _ = try await timedRun(runner, ["rm", "-f", "\(scratch)/\(name)"])
        }
        _ = try await timedRun(runner, ["tar", "czf", "\(outputDirectory)/btfs-\(arch).tar.gz", "-C", btfs, "."])
    }
}

/// ig's wasm step (cmd/common/image/build-step.go) as its fresh builder container runs it: the Go or
/// cargo line with an empty build cache.
struct BaselineWasm {
    var source: WasmSource

    func run(_ runner: ProcessRunner, outputDirectory: String) async throws {
        let environment = ProcessInfo.processInfo.environment
        switch source {
        case .go(let file):
            let go = environment["GADGETC_GO"] ?? "go"
            _ = try await timedRun(runner, ["/usr/bin/env", "CGO_ENABLED=0", "GOOS=wasip1", "GOARCH=wasm", "GOCACHE=\(outputDirectory)/gocache",
                                            go, "build", "-C", file.deletingLastPathComponent().path, "-o", "\(outputDirectory)/program.wasm",
                                            "-buildmode=c-shared", "-ldflags", "-w -s", file.lastPathComponent])
        case .rust(_, let manifest):
            let finding = await WasmToolchainLocator(host: LiveHost()).find(.rust)
            guard let cargo = finding.compiler else { throw BenchError("--wasm: \(finding.missing)") }
            _ = try await timedRun(runner, ["/usr/bin/env", "CARGO_TARGET_DIR=\(outputDirectory)/target", "RUSTC=\(cargo.rustc ?? "rustc")",
                                            cargo.path, "build", "--target", cargo.target ?? "wasm32-wasip1", "--release", "--manifest-path", manifest.path])
        case .module:
            break
        }
    }
}
