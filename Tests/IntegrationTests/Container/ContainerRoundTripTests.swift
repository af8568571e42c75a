import Foundation
import Testing
@testable import GadgetBuild

/// A build container's life against the real dockerd: create with binds and no network, start,
/// exec, remove — and removal when something fails.
@Suite(
    "Build container round trip against a real engine",
    .enabled(if: ContainerTestEnvironment.isConfigured, ContainerTestEnvironment.skipReason)
)
struct ContainerRoundTripTests {
    /// A source folder holding one BPF program, and an empty output folder.
    func folders() throws -> (work: URL, out: URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-ctr-\(UUID().uuidString)")
        let work = root.appendingPathComponent("work"), out = root.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("""
        #include <linux/bpf.h>
        #include <bpf/bpf_helpers.h>
        SEC("tracepoint/syscalls/sys_enter_openat")
        int on_openat(void *ctx) { return 0; }
        char LICENSE[] SEC("license") = "GPL";
        """.utf8).write(to: work.appendingPathComponent("program.bpf.c"))
        return (work, out)
    }

    func spec(_ env: ContainerTestEnvironment, work: URL, out: URL) -> ContainerSpec {
        ContainerSpec(
            image: env.localImage,
            binds: ["\(work.path):/work:ro", "\(out.path):/out:rw"],
            user: "\(getuid()):\(getgid())",
            networkMode: "none",
            workingDir: "/work"
        )
    }

    @Test func createStartExecRemove() async throws {
        let env = try ContainerTestEnvironment.load()
        let client = env.client
        let version = try await client.version()
        #expect(version.kind == .docker)
        #expect(!version.apiVersion.isEmpty)
        #expect(try await client.info().rootless == false, "the test dockerd runs as root")

        let (work, out) = try folders()
        defer { try? FileManager.default.removeItem(at: work.deletingLastPathComponent()) }
        let s = spec(env, work: work, out: out)
        let id = try await client.createContainer(
            image: s.image, binds: s.binds, user: s.user, networkMode: "none", workingDir: "/work"
        )
        do {
            try await client.start(container: id)
            #expect(try await client.containerState(id) == "running")

            let clang = try await client.exec(container: id, argv: ["clang-16", "--version"], workingDir: nil)
            #expect(clang.exitCode == 0)
            #expect(clang.standardOutput.contains("clang version 16"), "\(clang.standardOutput)")

            let failing = try await client.exec(
                container: id, argv: ["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7"], workingDir: "/tmp"
            )
            #expect(failing.exitCode == 7)
            #expect(failing.standardOutput == "to-stdout\n")
            #expect(failing.standardError == "to-stderr\n")

            let missing = try await client.exec(container: id, argv: ["no-such-program"], workingDir: nil)
            #expect(missing.exitCode == 126 || missing.exitCode == 127, "exit \(missing.exitCode): \(missing.standardError)")

            let compile = try await client.exec(
                container: id,
                argv: ["clang-16", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu", "-O2", "-g", "-c", "program.bpf.c", "-o", "/out/x86.bpf.o"],
                workingDir: nil
            )
            #expect(compile.exitCode == 0, "\(compile.standardError)")
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("x86.bpf.o").path))

            let readOnly = try await client.exec(container: id, argv: ["touch", "/work/new"], workingDir: nil)
            #expect(readOnly.exitCode != 0, "/work is mounted read-only")
            let network = try await client.exec(container: id, argv: ["ls", "/sys/class/net"], workingDir: nil)
            #expect(network.standardOutput.split(separator: "\n") == ["lo"], "NetworkMode none leaves only lo")
        } catch {
            try? await client.remove(container: id, force: true)
            throw error
        }
        try await client.remove(container: id, force: true)
        #expect(try await client.containerState(id) == nil)
        try await client.remove(container: id, force: true) // already gone: not an error
    }

    @Test func removedWhenTheBodyFails() async throws {
        struct StepFailed: Error {}
        let env = try ContainerTestEnvironment.load()
        let client = env.client
        let (work, out) = try folders()
        defer { try? FileManager.default.removeItem(at: work.deletingLastPathComponent()) }
        let seen = IDBox()
        await #expect(throws: StepFailed.self) {
            try await client.withContainer(spec(env, work: work, out: out)) { id in
                seen.set(id)
                let result = try await client.exec(container: id, argv: ["false"], workingDir: nil)
                if result.exitCode != 0 { throw StepFailed() }
            }
        }
        let id = try #require(seen.value)
        #expect(try await client.containerState(id) == nil)
    }

    @Test func removedWhenStartFails() async throws {
        let env = try ContainerTestEnvironment.load()
        let client = env.client
        let (work, out) = try folders()
        defer { try? FileManager.default.removeItem(at: work.deletingLastPathComponent()) }
        var broken = spec(env, work: work, out: out)
        broken.command = ["/no/such/entrypoint"]
        broken.labels["io.gadgetc.test"] = UUID().uuidString
        let error = await #expect(throws: EngineError.self) {
            try await client.withContainer(broken) { _ in Issue.record("the body must not run") }
        }
        #expect(error?.description.contains("could not start container") == true, "\(String(describing: error))")
        let leftovers = try await client.containers(label: "io.gadgetc.test=\(broken.labels["io.gadgetc.test"]!)")
        #expect(leftovers.isEmpty)
    }

    @Test func createFailsForAnAbsentImageWithTheEnginesMessage() async throws {
        let env = try ContainerTestEnvironment.load()
        let absent = try ContainerImageReference(parsing: "\(env.registry)/gadgetc/never-pushed:x")
        let error = await #expect(throws: EngineError.self) {
            _ = try await env.client.createContainer(ContainerSpec(image: absent))
        }
        #expect(error?.description.contains("No such image") == true, "\(String(describing: error))")
    }
}

final class IDBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: String?
    func set(_ id: String) { lock.withLock { stored = id } }
    var value: String? { lock.withLock { stored } }
}

/// Needs no engine: what the client says when the socket is absent or dead.
@Suite("Engine socket failures")
struct EngineSocketFailureTests {
    @Test(.timeLimit(.minutes(1)))
    func aMissingSocketSaysWhatToDo() async throws {
        let client = EngineClient(socket: EngineSocket(path: "/tmp/gadgetc-no-such.sock", source: .dockerHost))
        let error = await #expect(throws: EngineError.self) { _ = try await client.version() }
        #expect(error == .namedSocketMissing(path: "/tmp/gadgetc-no-such.sock", source: "DOCKER_HOST"))
    }

    @Test(.timeLimit(.minutes(1)))
    func aSocketNobodyListensOnFailsAtOnce() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-dead-\(getpid()).sock").path
        unlink(path)
        // A bound but never listening unix socket: connect(2) is refused.
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd); unlink(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0)
        let client = EngineClient(socket: EngineSocket(path: path, source: .option))
        let error = await #expect(throws: EngineError.self) { _ = try await client.version() }
        guard case .unreachable(let reported, let reason) = error else {
            Issue.record("expected .unreachable, got \(String(describing: error))")
            return
        }
        #expect(reported == path)
        // Refused by the kernel (ECONNREFUSED), not given up on after the client's connect timeout:
        // the reason says which, so the test needs no clock (a loaded machine can take 10 s either way).
        #expect(reason.contains("refused") || reason.contains("ECONNREFUSED") || reason.contains("errno: 111"), "\(reason)")
    }
}
