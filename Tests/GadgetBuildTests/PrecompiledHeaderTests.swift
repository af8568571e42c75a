import Foundation
import Testing
@testable import GadgetBuild

@Suite struct PrecompiledHeaderTests {
    /// Planning only names paths in the cache: this folder is never created.
    let cache = CacheLocation(root: FileManager.default.temporaryDirectory.appendingPathComponent("gadgetc-test-unwritten-\(UUID().uuidString)"))

    @Test func eligibilityNeedsVmlinuxFirst() {
        #expect(PrecompiledHeader.sourceStartsWithVmlinux("// SPDX\n/* a\n * b */\n#include <vmlinux.h>\n#include <bpf/bpf_helpers.h>\n"))
        #expect(PrecompiledHeader.sourceStartsWithVmlinux("#if __has_include(<vmlinux.h>)\n#include <vmlinux.h>\n#else\n#endif\n"))
        #expect(PrecompiledHeader.sourceStartsWithVmlinux("# include \"vmlinux.h\"\n"))
        #expect(!PrecompiledHeader.sourceStartsWithVmlinux("#define BPF_NO_PRESERVE_ACCESS_INDEX\n#include <vmlinux.h>\n"))
        #expect(!PrecompiledHeader.sourceStartsWithVmlinux("#include <linux/bpf.h>\n#include <vmlinux.h>\n"))
        #expect(!PrecompiledHeader.sourceStartsWithVmlinux("int x;\n#include <vmlinux.h>\n"))
    }

    func plan(pchExists: Bool, startsWithVmlinux: Bool) async throws -> BuildPlan {
        var host = FakeHost.debian()
        host.files["/usr/include/gadget/amd64/vmlinux.h"] = "x"
        let report = await HostProbe(host: host, cache: nil).run()
        var folder = GadgetFolder(root: URL(fileURLWithPath: "/g/trace"), ebpfSources: ["program.bpf.c"])
        if startsWithVmlinux { folder.sourcesStartingWithVmlinux = ["program.bpf.c"] }
        let plan = try BuildPlanner(probe: report, cache: cache, precompiledHeaderExists: { _ in pchExists })
            .plan(BuildRequest(gadgetFolder: "/g/trace", architectures: [.amd64]), gadget: folder,
                  workDirectory: URL(fileURLWithPath: "/w"), keepsWorkDirectory: false)
        #expect(!FileManager.default.fileExists(atPath: cache.root.path), "planning writes nothing")
        return plan
    }

    @Test func usesAnExistingPCH() async throws {
        let plan = try await plan(pchExists: true, startsWithVmlinux: true)
        let argv = try #require(plan.jobs(.compile).first).argv
        let index = try #require(argv.firstIndex(of: "-include-pch"))
        #expect(argv[index + 1].hasPrefix(cache.root.path + "/pch/") && argv[index + 1].hasSuffix("-amd64.pch"))
        #expect(argv[index + 2] == "-fpch-validate-input-files-content")
        #expect(plan.precompiledHeadersToBuild.isEmpty)
        #expect(plan.jobs(.compile).first?.withoutPrecompiledHeader?.argv.contains("-include-pch") == false)
    }

    @Test func missingPCHIsBuiltForNextTimeNotNow() async throws {
        let plan = try await plan(pchExists: false, startsWithVmlinux: true)
        #expect(plan.jobs(.compile).first?.argv.contains("-include-pch") == false)
        let pch = try #require(plan.precompiledHeadersToBuild.first)
        #expect(pch.argv.contains("c-header") && pch.argv.contains("/usr/include/gadget/amd64/vmlinux.h"))
        #expect(pch.argv.suffix(2) == ["-o", pch.output])
    }

    @Test func sourcesNotStartingWithVmlinuxNeverUseIt() async throws {
        let plan = try await plan(pchExists: true, startsWithVmlinux: false)
        #expect(plan.jobs(.compile).first?.argv.contains("-include-pch") == false)
        #expect(plan.precompiledHeadersToBuild.isEmpty)
    }
}
