import Foundation
import Testing
@testable import GadgetBuild

/// Issue 11, point 2: `gadgetc compile-commands` writes a database with which the real clangd resolves
/// a sample's headers and `__TARGET_ARCH_*` as the build does, and still reports the real errors.
@Suite struct CompileCommandsTests {
    static let clangd = "/usr/bin/clangd-16"

    /// A copy of a bundled sample (the repository's own folder must not get a compile_commands.json).
    func sample(_ name: String, in root: URL) throws -> URL {
        let copy = root.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent(name), to: copy)
        return copy
    }

    func compileCommands(_ arguments: [String], cache: URL) async throws -> ProcessResult {
        try await Fixtures.run([Fixtures.gadgetc, "compile-commands", "-I", Fixtures.bundledHeaders] + arguments,
                               environment: ["GADGETC_CACHE_DIR": cache.path])
    }

    @Test func theDatabaseIsThePlannedCommandHostArchFirst() async throws {
        let root = try Fixtures.temporaryDirectory("ccdb")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = try sample("top_syscalls", in: root)
        let result = try await compileCommands([gadget.path], cache: root.appendingPathComponent("cache"))
        try #require(result.succeeded, "\(result.standardError)")
        #expect(result.standardError.contains("wrote \(gadget.path)/compile_commands.json (4 entries: amd64, arm64)"), "\(result.standardError)")
        let data = try Data(contentsOf: gadget.appendingPathComponent("compile_commands.json"))
        let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(entries.map { $0["file"] as? String } == [gadget.appendingPathComponent("program.bpf.c").path, gadget.appendingPathComponent("program.bpf.c").path,
                                                          gadget.appendingPathComponent("helpers.bpf.c").path, gadget.appendingPathComponent("helpers.bpf.c").path])
        let host = try #require(Architecture.host)
        let first = try #require(entries.first?["arguments"] as? [String])
        #expect(first.contains("__TARGET_ARCH_\(host.targetArchDefine)"), "the host's arch comes first: \(first)")
        #expect(entries.allSatisfy { ($0["directory"] as? String) == gadget.path })

        // The same flags as the build's plan (--dry-run), less the PCH, depfile and work-folder output.
        let dryRun = try await Fixtures.run([Fixtures.gadgetc, "build", "--dry-run", "--json", "-I", Fixtures.bundledHeaders, gadget.path],
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path])
        let plan = try JSONDecoder().decode(BuildPlan.self, from: Data(dryRun.standardOutput.utf8))
        let planned = try #require(plan.jobs(.compile).first { $0.arch == host && $0.inputs == ["program.bpf.c"] })
        var expected = planned.argv.prefix { $0 != "-o" }.map { $0 }
        if let pch = expected.firstIndex(of: "-include-pch") { expected.removeSubrange(pch..<pch + 3) }
        if let depfile = expected.firstIndex(of: "-MD") { expected.removeSubrange(depfile..<depfile + 3) }
        #expect(first == expected + ["-o", "\(host).bpf.o"])

        // -o - prints the database and writes nothing into the folder.
        try FileManager.default.removeItem(at: gadget.appendingPathComponent("compile_commands.json"))
        let printed = try await compileCommands(["-o", "-", gadget.path], cache: root.appendingPathComponent("cache"))
        #expect(printed.succeeded && Data(printed.standardOutput.utf8) == data)
        #expect(!FileManager.default.fileExists(atPath: gadget.appendingPathComponent("compile_commands.json").path))
    }

    @Test func gadgetsWithoutHostCompilesGetNoFileAndWasmIsNotNeeded() async throws {
        let root = try Fixtures.temporaryDirectory("ccdb-none")
        defer { try? FileManager.default.removeItem(at: root) }
        let yamlOnly = root.appendingPathComponent("yaml_only")
        try FileManager.default.createDirectory(at: yamlOnly, withIntermediateDirectories: true)
        try Data("name: yaml_only\n".utf8).write(to: yamlOnly.appendingPathComponent("gadget.yaml"))
        // A Go gadget on a host whose PATH has no Go: the wasm step is no editor's business.
        let goGadget = try sample("trace_exit_go", in: root)
        let result = try await Fixtures.run([Fixtures.gadgetc, "compile-commands", "-I", Fixtures.bundledHeaders, yamlOnly.path, goGadget.path],
                                            environment: ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path, "PATH": "/usr/bin:/bin",
                                                          "GADGETC_GO": ""])
        #expect(result.succeeded, "\(result.standardError)")
        #expect(result.standardError.contains("warning: \(yamlOnly.path): no compile_commands.json written: it has no eBPF source"), "\(result.standardError)")
        #expect(!FileManager.default.fileExists(atPath: yamlOnly.appendingPathComponent("compile_commands.json").path))
        #expect(FileManager.default.fileExists(atPath: goGadget.appendingPathComponent("compile_commands.json").path))
    }

    @Test func buildWritesTheDatabaseOnlyWhenAsked() async throws {
        let root = try Fixtures.temporaryDirectory("ccdb-build")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = try sample("trace_signal", in: root)
        let environment = ["GADGETC_CACHE_DIR": root.appendingPathComponent("cache").path]
        let layout = root.appendingPathComponent("layout").path
        let plain = try await Fixtures.run([Fixtures.gadgetc, "build", "--arch", "amd64", "-I", Fixtures.bundledHeaders, "--oci-layout", layout, gadget.path],
                                           environment: environment)
        try #require(plain.succeeded, "\(plain.standardError)")
        #expect(!FileManager.default.fileExists(atPath: gadget.appendingPathComponent("compile_commands.json").path))
        let asked = try await Fixtures.run([Fixtures.gadgetc, "build", "--compile-commands", "--arch", "amd64", "-I", Fixtures.bundledHeaders,
                                            "--oci-layout", layout, gadget.path], environment: environment)
        try #require(asked.succeeded, "\(asked.standardError)")
        let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: gadget.appendingPathComponent("compile_commands.json"))) as? [[String: Any]]
        #expect(entries?.count == 1)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CompileCommandsTests.clangd), "needs clangd-16 (.ci/setup installs it)"))
    func clangdResolvesTheSampleAndReportsARealError() async throws {
        let root = try Fixtures.temporaryDirectory("clangd")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadget = try sample("trace_exec", in: root)
        let source = gadget.appendingPathComponent("program.bpf.c")
        let original = try String(contentsOf: source, encoding: .utf8)
        // trace_exec builds without vmlinux.h too: make the check prove that the database finds it (where
        // the kernel has BTF to make one from) and that the host's arch is the one clangd parses for.
        let host = try #require(Architecture.host)
        var guarded = "#ifndef __TARGET_ARCH_\(host.targetArchDefine)\n#error the host's entry was not used\n#endif\n"
        if FileManager.default.fileExists(atPath: "/sys/kernel/btf/vmlinux") {
            guarded += "#if !__has_include(<vmlinux.h>)\n#error no vmlinux.h on the path\n#endif\n"
        }
        try (guarded + original).write(to: source, atomically: true, encoding: .utf8)
        let written = try await compileCommands([gadget.path], cache: root.appendingPathComponent("cache"))
        try #require(written.succeeded, "\(written.standardError)")

        let check = try await Fixtures.run([Self.clangd, "--check=program.bpf.c"], in: gadget.path)
        let log = check.standardOutput + check.standardError
        #expect(log.contains("Loaded compilation database from \(gadget.path)/compile_commands.json"), "\(log)")
        // clangd --check logs each error diagnostic as `E[time] [code] Line N: message` and ends with the count.
        #expect(check.status == 0 && log.contains("All checks completed, 0 errors"), "\(log)")
        #expect(!log.split(separator: "\n").contains { $0.hasPrefix("E[") }, "\(log)")

        // A broken copy: clangd reports the error the compiler would.
        let broken = original.replacingOccurrences(of: "char LICENSE[]", with: "int broken(void) { return not_declared_anywhere; }\nchar LICENSE[]")
        try broken.write(to: source, atomically: true, encoding: .utf8)
        let failing = try await Fixtures.run([Self.clangd, "--check=program.bpf.c"], in: gadget.path)
        let errors = (failing.standardOutput + failing.standardError).split(separator: "\n").filter { $0.hasPrefix("E[") }
        #expect(failing.status != 0)
        #expect(errors.count == 1 && errors.first?.contains("[undeclared_var_use]") == true
                && errors.first?.contains("use of undeclared identifier 'not_declared_anywhere'") == true, "\(errors)")
    }

    /// Issue 11's bar: clangd, given the database, reports no include or arch error on every sample.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: CompileCommandsTests.clangd), "needs clangd-16 (.ci/setup installs it)"))
    func clangdIsCleanOnEverySample() async throws {
        let root = try Fixtures.temporaryDirectory("clangd-all")
        defer { try? FileManager.default.removeItem(at: root) }
        let gadgets = try Fixtures.sampleNames.map { try sample($0, in: root) }
        let written = try await compileCommands(gadgets.map(\.path), cache: root.appendingPathComponent("cache"))
        try #require(written.succeeded, "\(written.standardError)")
        for gadget in gadgets {
            let check = try await Fixtures.run([Self.clangd, "--check=program.bpf.c"], in: gadget.path)
            let log = check.standardOutput + check.standardError
            #expect(check.status == 0 && log.contains("All checks completed, 0 errors"), "\(gadget.lastPathComponent): \(log)")
            #expect(!log.split(separator: "\n").contains { $0.hasPrefix("E[") }, "\(gadget.lastPathComponent): \(log)")
        }
    }
}
