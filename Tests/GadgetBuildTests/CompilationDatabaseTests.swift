import Foundation
import Testing
@testable import GadgetBuild

/// Issue 11, point 2: compile_commands.json from the plan, as clang's JSON compilation database reads it.
@Suite struct CompilationDatabaseTests {
    let cache = CacheLocation(root: FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-test-unwritten-\(UUID().uuidString)"))

    /// A plan of two sources for both arches, with a PCH that exists for amd64.
    func plan() async throws -> BuildPlan {
        var host = FakeHost.debian()
        host.files["/usr/include/gadget/amd64/vmlinux.h"] = "x"
        let report = await HostProbe(host: host, cache: nil).run()
        var folder = GadgetFolder(root: URL(fileURLWithPath: "/g/top"), ebpfSources: ["program.bpf.c", "helpers.bpf.c"])
        folder.sourcesStartingWithVmlinux = ["program.bpf.c"]
        return try BuildPlanner(probe: report, cache: cache, precompiledHeaderExists: { _ in true })
            .plan(BuildRequest(gadgetFolder: "/g/top", architectures: [.amd64, .arm64]), gadget: folder,
                  workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
    }

    @Test func oneEntryPerSourceAndArchHostFirstWithThePlannedFlags() async throws {
        let plan = try await plan()
        #expect(plan.jobs(.compile).contains { $0.precompiledHeader != nil }, "the plan uses the PCH, the database must not")
        let database = CompilationDatabase(plan: plan, hostArchitecture: .arm64)
        #expect(database.entries.map { "\($0.file) \($0.arch)" } == ["/g/top/program.bpf.c arm64", "/g/top/program.bpf.c amd64",
                                                                     "/g/top/helpers.bpf.c arm64", "/g/top/helpers.bpf.c amd64"])
        #expect(database.entries.map(\.output) == ["arm64.bpf.o", "amd64.bpf.o", "helpers.arm64.bpf.o", "helpers.amd64.bpf.o"])
        for entry in database.entries {
            let planned = try #require(plan.jobs(.compile).first { $0.arch == entry.arch && entry.file.hasSuffix("/" + ($0.inputs.first ?? "")) })
            #expect(entry.directory == "/g/top")
            #expect(!entry.arguments.contains("-include-pch") && !entry.arguments.contains("-MF") && !entry.arguments.contains("-MD"))
            #expect(Array(entry.arguments.suffix(2)) == ["-o", entry.output])
            // Everything else is the planned command, flag for flag (the same clang first).
            let kept = planned.argv.split(separator: "-o").first.map(Array.init) ?? []
            var expected = kept
            if let pch = expected.firstIndex(of: "-include-pch") { expected.removeSubrange(pch..<pch + 3) }
            if let depfile = expected.firstIndex(of: "-MD") { expected.removeSubrange(depfile..<depfile + 3) }
            #expect(Array(entry.arguments.dropLast(2)) == expected)
            #expect(entry.arguments.contains("__TARGET_ARCH_\(entry.arch.targetArchDefine)"))
        }
    }

    @Test func theJSONIsClangsFormat() async throws {
        let database = CompilationDatabase(plan: try await plan(), hostArchitecture: .amd64)
        let data = try database.encoded()
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(entries.count == 4)
        // clang's reader rejects keys it does not know: only these four.
        #expect(entries.allSatisfy { Set($0.keys) == ["directory", "file", "arguments", "output"] })
        #expect((entries[0]["arguments"] as? [String])?.contains("__TARGET_ARCH_x86") == true)
        #expect(String(decoding: data, as: UTF8.self).contains("\"/g/top/program.bpf.c\""), "slashes are not escaped")
        #expect(data.last == UInt8(ascii: "\n"))
    }

    @Test func containerCompilesHaveNoEntry() async throws {
        let report = await HostProbe(host: FakeHost.debian(), cache: nil).run()
        var plan = try BuildPlanner(probe: report).plan(BuildRequest(gadgetFolder: "/g/t", architectures: [.amd64]),
                                                        gadget: GadgetFolder(root: URL(fileURLWithPath: "/g/t"), ebpfSources: ["program.bpf.c"]),
                                                        workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        plan.jobs = plan.jobs.map { job in
            var job = job
            if job.kind == .compile { job.toolchain = .container }
            return job
        }
        plan.toolchains = plan.toolchains.map { ToolchainDecision(arch: $0.arch, toolchain: .container, reasons: []) }
        let database = CompilationDatabase(plan: plan, hostArchitecture: .amd64)
        #expect(database.entries.isEmpty && database.containerArchitectures == [.amd64])
    }
}
