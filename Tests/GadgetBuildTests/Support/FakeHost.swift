import Foundation
@testable import GadgetBuild

/// A host described as data: which files exist, which are executables, and what commands print.
struct FakeHost: HostSystem {
    var environment: [String: String] = ["PATH": "/usr/bin"]
    var architecture: Architecture? = .amd64
    var isRoot = false
    var files: [String: String] = [:]
    var executables: Set<String> = []
    var sockets: Set<String> = []
    var symlinks: [String: String] = [:]
    /// argv joined by spaces → result
    var commands: [String: ProcessResult] = [:]
    var libbpfVersion = "1.1"
    var kernel: (Bool, String) = (true, "test kernel")

    func fileExists(_ path: String) -> Bool {
        files[path] != nil || executables.contains(path) || sockets.contains(path)
            || files.keys.contains { $0.hasPrefix(path + "/") }
    }
    func isExecutableFile(_ path: String) -> Bool { executables.contains(path) }
    func isSocket(_ path: String) -> Bool { sockets.contains(path) }
    func listDirectory(_ path: String) -> [String] {
        let prefix = path.hasSuffix("/") ? path : path + "/"
        let all = Array(files.keys) + Array(executables)
        return Array(Set(all.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count).split(separator: "/").first!) }))
    }
    func readFile(_ path: String) -> Data? { files[path].map { Data($0.utf8) } }
    func realPath(_ path: String) -> String { symlinks[path] ?? path }
    func fingerprint(_ path: String) -> String? { fileExists(path) ? "fp-\(path)" : nil }
    func run(_ argv: [String]) async -> ProcessResult? { commands[argv.joined(separator: " ")] }
    func kernelAcceptsBPF() -> (accepted: Bool, reason: String) { kernel }
    var engine: EngineStatus?
    func engineStatus(socket: String, image: String) async -> EngineStatus { engine ?? EngineStatus(image: image, error: "no fake engine") }

    static func ok(_ stdout: String) -> ProcessResult {
        ProcessResult(status: 0, signaled: false, standardOutput: stdout, standardError: "")
    }

    /// Registers a clang at `path` with the given version and BPF support.
    mutating func addClang(_ path: String, version: String, bpf: Bool = true) {
        executables.insert(path)
        // `clang -v -print-targets`: the version line on stderr (with -v's other lines), the backends on stdout.
        commands["\(path) -v -print-targets"] = ProcessResult(
            status: 0, signaled: false,
            standardOutput: "  Registered Targets:\n    aarch64    - AArch64\n" + (bpf ? "    bpf        - BPF (host endian)\n" : "") + "    x86-64     - 64-bit X86: EM_X86_64\n",
            standardError: "Debian clang version \(version)\nTarget: x86_64-pc-linux-gnu\nThread model: posix\nFound candidate GCC installation: /usr/lib/gcc/x86_64-linux-gnu/12\n")
    }

    /// A Debian 12 host with libbpf 1.1 headers, UAPI headers and IG's gadget headers for amd64.
    static func debian() -> FakeHost {
        var host = FakeHost()
        host.addClang("/usr/bin/clang-16", version: "16.0.6")
        host.files["/usr/include/bpf/bpf_helpers.h"] = ""
        host.files["/usr/include/bpf/libbpf_version.h"] = "#define LIBBPF_MAJOR_VERSION 1\n#define LIBBPF_MINOR_VERSION 1\n"
        host.files["/usr/include/x86_64-linux-gnu/asm/types.h"] = ""
        host.files["/usr/include/linux/types.h"] = ""
        host.files["/usr/include/gadget/macros.h"] = ""
        host.files["/usr/include/gadget/amd64/vmlinux.h"] = ""
        host.files["/sys/kernel/btf/vmlinux"] = ""
        return host
    }
}
