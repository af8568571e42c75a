import Foundation
import GadgetBuild
import Testing

@Suite("libbpf against the running kernel", .enabled(if: BPFTestBench.hasClang, "needs a clang with the BPF target"))
struct BPFKernelTests {
    @Test(.enabled(if: BPFTestBench.isRoot, "needs root to load BPF programs"))
    func probeAcceptsATrivialProgramAsRoot() {
        let support = KernelBPFSupport.probe()
        #expect(support.accepted, "\(support.reason)")
    }

    @Test(.enabled(if: BPFTestBench.isRoot, "needs root to load BPF programs"))
    func verifierAcceptsLinkedObjectAndSkipsOptionalPrograms() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let linked = directory.appendingPathComponent("linked.bpf.o")
        try BPFLinker.link([
            try BPFTestBench.compile(BPFSources.definitions, named: "definitions", in: directory),
            try BPFTestBench.compile(BPFSources.uses, named: "uses", in: directory),
        ], into: linked)

        let (report, loadTime) = try BPFTestBench.milliseconds { try BPFVerifier.load(linked) }
        print("timing: verifier load of 2 programs \(String(format: "%.2f", loadTime)) ms: \(report)")
        #expect(report.allAccepted)
        #expect(Set(report.programs.keys) == ["count_packets", "on_switch"])
        if case .accepted(let processed, _, _) = report.programs["on_switch"] {
            #expect((processed ?? 0) > 0)
        } else {
            Issue.record("on_switch not accepted: \(String(describing: report.programs["on_switch"]))")
        }

        let gadget = try BPFTestBench.compile(BPFSources.gadget, named: "gadget", in: directory)
        let gadgetReport = try BPFVerifier.load(gadget)
        #expect(gadgetReport.allAccepted, "\(gadgetReport)")
        #expect(gadgetReport.programs["handle_exec"]?.isAccepted == true)
        if case .notLoaded = gadgetReport.programs["optional_filter"] {} else {
            Issue.record("optional_filter should not be loaded: \(String(describing: gadgetReport.programs["optional_filter"]))")
        }
    }

    @Test(.enabled(if: BPFTestBench.isRoot, "needs root to load BPF programs"))
    func verifierRejectsAnOutOfBoundsReadWithItsReason() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let object = try BPFTestBench.compile(BPFSources.outOfBounds, named: "oob", in: directory)
        let lines = BPFSources.outOfBounds.split(separator: "\n", omittingEmptySubsequences: false)
        let lineOfPastTheEnd = 1 + (lines.firstIndex { $0.contains("[1]") } ?? 0)

        let (report, loadTime) = try BPFTestBench.milliseconds { try BPFVerifier.load(object) }
        print("timing: verifier load with one rejection \(String(format: "%.2f", loadTime)) ms")
        #expect(!report.allAccepted)
        #expect(report.rejectedPrograms == ["past_the_end"])
        #expect(report.programs["in_bounds"]?.isAccepted == true)
        guard case .rejected(let reason, let tail, let location) = report.programs["past_the_end"] else {
            Issue.record("past_the_end not rejected: \(report)")
            return
        }
        print("verifier reason: \(reason)")
        #expect(reason.hasPrefix("invalid access to map value, value_size=8 off=8 size=8"))
        #expect(reason.hasSuffix("(at oob.bpf.c:\(lineOfPastTheEnd))"))
        #expect(!tail.isEmpty)
        #expect(location?.file == "oob.bpf.c" && location?.line == lineOfPastTheEnd && location?.text?.contains("[1]") == true, "\(String(describing: location))")
        #expect(report.objectFailure == nil)
        if case .accepted(let processed, let states, let peak) = report.programs["in_bounds"] {
            #expect((processed ?? 0) > 0 && (states ?? -1) >= 0 && (peak ?? -1) >= 0, "\(report)")
        }
    }

    @Test(.enabled(if: geteuid() != 0, "checks the refusal seen without root; running as root"))
    func withoutRootTheVerifierLoadSaysWhy() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let object = try BPFTestBench.compile(BPFSources.outOfBounds, named: "oob", in: directory)
        let error = try #require(throws: BPFError.self) { try BPFVerifier.load(object) }
        print("without root: \(error)")
        #expect(error.operation == .load)
        #expect(error.description.contains("CAP_BPF"))
        #expect(!KernelBPFSupport.probe().accepted)
    }

    @Test(.enabled(if: BPFTestBench.isRoot, "needs root to load BPF programs"))
    func objectLevelFailuresAreNotBlamedOnPrograms() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A hash map with no room: the kernel refuses to create it, before any verifier runs.
        let object = try BPFTestBench.compile(BPFSources.prelude + """
            struct {
                __uint(type, BPF_MAP_TYPE_HASH);
                __uint(max_entries, 0);
                __type(key, __u32);
                __type(value, __u32);
            } empty SEC(".maps");

            SEC("socket") int first(struct __sk_buff *skb) { __u32 k = 0; return bpf_map_lookup_elem(&empty, &k) != 0; }
            SEC("socket") int second(struct __sk_buff *skb) { __u32 k = 1; return bpf_map_lookup_elem(&empty, &k) != 0; }
            char LICENSE[] SEC("license") = "GPL";
            """, named: "nomap", in: directory)
        let report = try BPFVerifier.load(object)
        print("object failure: \(report.objectFailure ?? "none")")
        #expect(!report.allAccepted)
        #expect(report.rejectedPrograms.isEmpty)
        #expect(report.objectFailure?.contains("empty") == true)
    }

    @Test func vmlinuxHeaderFromKernelBTFCompilesACORERead() throws {
        let btf = URL(fileURLWithPath: "/sys/kernel/btf/vmlinux")
        guard FileManager.default.fileExists(atPath: btf.path) else {
            print("skipping: no /sys/kernel/btf/vmlinux on this kernel")
            return
        }
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let header = directory.appendingPathComponent("vmlinux.h")
        let (_, generateTime) = try BPFTestBench.milliseconds { try VmlinuxHeader.generate(fromBTF: btf, to: header) }
        let text = try String(contentsOf: header, encoding: .utf8)
        print("timing: vmlinux.h generation \(String(format: "%.1f", generateTime)) ms, \(text.utf8.count) bytes")
        #expect(text.hasPrefix("#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n"))
        #expect(text.contains("#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute push"))
        #expect(text.hasSuffix("#endif /* __VMLINUX_H__ */\n"))
        #expect(text.contains("struct task_struct {"))

        // Same text as bpftool, up to what changed in btf_dump itself after libbpf 1.1 (Debian's
        // bpftool is built with a newer in-tree libbpf): "(void)" parameter lists and the
        // mode(byte) attribute on 1-byte enums.
        let bpftool = "/usr/sbin/bpftool"
        if FileManager.default.isExecutableFile(atPath: bpftool) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bpftool)
            process.arguments = ["btf", "dump", "file", btf.path, "format", "c"]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let reference = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            func normalized(_ header: String) -> String {
                header.replacingOccurrences(of: " __attribute__((mode(byte)))", with: "")
                    .replacingOccurrences(of: "(void)", with: "()")
            }
            if process.terminationStatus == 0 {
                #expect(normalized(reference) == normalized(text), "differs from `bpftool btf dump … format c`")
            }
        }

        let object = try BPFTestBench.compile("""
            #include "vmlinux.h"
            #include <bpf/bpf_helpers.h>
            #include <bpf/bpf_core_read.h>

            int last_pid = 0;

            SEC("tp_btf/sched_process_exec")
            int on_exec(unsigned long long *ctx)
            {
                struct task_struct *task = (struct task_struct *)ctx[0];
                last_pid = BPF_CORE_READ(task, pid);
                return 0;
            }

            char LICENSE[] SEC("license") = "GPL";
            """, named: "core", in: directory)
        let summary = try BPFObjectInspector.inspect(object)
        #expect(summary.program(named: "on_exec")?.type == "tracing")
        #expect(summary.structure(named: "task_struct")?.members.contains { $0.name == "pid" } == true)
        if geteuid() == 0 {
            let report = try BPFVerifier.load(object)
            #expect(report.allAccepted, "\(report)")
        }
    }
}

@Suite("Section names libbpf 1.x no longer types", .enabled(if: BPFTestBench.hasClang, "needs a clang with the BPF target"))
struct LegacySectionTests {
    static let source = """
        #include <linux/bpf.h>
        #include <bpf/bpf_helpers.h>
        char LICENSE[] SEC("license") = "GPL";
        SEC("socket1") int sni(void *ctx) { return 0; }
        SEC("classifier/egress/drop") int drop(void *ctx) { return 2; }
        """

    @Test func inspectorTypesThem() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let summary = try BPFObjectInspector.inspect(try BPFTestBench.compile(Self.source, named: "legacy", in: directory))
        #expect(summary.program(named: "sni")?.type == "socket_filter")
        #expect(summary.program(named: "drop")?.type == "sched_cls")
    }

    @Test(.enabled(if: BPFTestBench.isRoot, "needs root to load BPF programs"))
    func verifierLoadsThem() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let report = try BPFVerifier.load(try BPFTestBench.compile(Self.source, named: "legacy", in: directory))
        #expect(report.allAccepted, "\(report)")
        #expect(report.programs.count == 2)
    }
}
