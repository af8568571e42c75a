import Foundation
import Testing
@testable import GadgetBuild

/// The samples compiled by the real clang with and without the precompiled vmlinux.h (which
/// changes the order clang emits BTF types in) link to the same bytes, because `BPFLinker` puts
/// every linked object's BTF in canonical order.
@Suite("BTF canonical order of linked samples", .serialized, .enabled(if: SampleCompiler.available, "needs clang and the kernel's BTF"))
final class BTFCanonicalLinkTests {
    let compiler: SampleCompiler
    let folder: URL

    init() throws {
        compiler = try SampleCompiler()
        folder = compiler.root
    }

    deinit { compiler.remove() }

    @Test func withAndWithoutThePCHEverySampleLinksToTheSameBytes() throws {
        var permutedByPCH: [String] = []
        for sample in Fixtures.sampleNames {
            let plain = try compiler.build(sample, label: "plain", in: folder, usePCH: false)
            let withPCH = try compiler.build(sample, label: "pch", in: folder, usePCH: true)
            let bytes = try Data(contentsOf: withPCH.linked)
            #expect(bytes == (try Data(contentsOf: plain.linked)), "\(sample): PCH and plain links differ")

            // Already canonical: canonicalising again changes nothing.
            let again = folder.appendingPathComponent("\(sample).again.o")
            try FileManager.default.copyItem(at: withPCH.linked, to: again)
            let report = try BTFCanonicaliser.canonicaliseObject(again)
            #expect(!report.changed && report.typeCount > 0, "\(sample)")
            #expect(report.indistinguishableTypes == 0, "\(sample)")
            #expect(try Data(contentsOf: again) == bytes)

            let summary = try BPFObjectInspector.inspect(withPCH.linked)
            #expect(!summary.programs.isEmpty && summary.hasBTF)

            guard SampleCompiler.hasBpftool else { continue }
            // libbpf's linker alone (bpftool gen object) keeps clang's order: the PCH permutes it.
            let rawPlain = folder.appendingPathComponent("\(sample).raw-plain.o")
            let rawPCH = folder.appendingPathComponent("\(sample).raw-pch.o")
            try SampleCompiler.bpftoolLink(plain.objects, into: rawPlain)
            try SampleCompiler.bpftoolLink(withPCH.objects, into: rawPCH)
            if try Data(contentsOf: rawPlain) != Data(contentsOf: rawPCH) { permutedByPCH.append(sample) }
            // libbpf sees the same programs, maps, variables and structs as in libbpf's own link.
            let rawSummary = try BPFObjectInspector.inspect(rawPCH)
            #expect(summary.programs == rawSummary.programs && summary.maps == rawSummary.maps, "\(sample)")
            #expect(Self.sorted(summary.variables) == Self.sorted(rawSummary.variables), "\(sample)")
            #expect(Self.sorted(summary.structures) == Self.sorted(rawSummary.structures), "\(sample)")
            // Canonicalising bpftool's output gives BPFLinker's bytes, and the same types.
            let rawTypes = try SampleCompiler.btfDumpWithoutIDs(rawPCH)
            #expect(try BTFCanonicaliser.canonicaliseObject(rawPCH).typeCount == rawTypes.count)
            #expect(try Data(contentsOf: rawPCH) == bytes, "\(sample): canonical bpftool link differs")
            #expect(try SampleCompiler.btfDumpWithoutIDs(withPCH.linked) == rawTypes, "\(sample): types differ from libbpf's link")
            #expect(try SampleCompiler.btfDumpWithoutIDs(plain.linked) == rawTypes)
        }
        print("samples whose BTF order the PCH permutes (before canonicalisation): \(permutedByPCH)")
        if SampleCompiler.hasBpftool { #expect(!permutedByPCH.isEmpty, "no sample exercised a permutation") }
    }

    static func sorted<T>(_ values: [T]) -> [String] { values.map { String(describing: $0) }.sorted() }

    @Test func separateClangRunsWithAndWithoutASLRLinkToTheSameBytes() throws {
        let sample = "trace_signal"
        var linked: Set<Data> = []
        var raw: Set<Data> = []
        for (index, (usePCH, withoutASLR)) in [(true, false), (true, true), (true, false), (true, true), (false, false), (false, true)].enumerated() {
            let build = try compiler.build(sample, label: "run\(index)", in: folder, usePCH: usePCH, withoutASLR: withoutASLR)
            linked.insert(try Data(contentsOf: build.linked))
            if SampleCompiler.hasBpftool {
                let rawLink = folder.appendingPathComponent("raw\(index).o")
                try SampleCompiler.bpftoolLink(build.objects, into: rawLink)
                raw.insert(try Data(contentsOf: rawLink))
            }
        }
        print("\(sample): \(raw.count) distinct type orders from 6 clang runs, \(linked.count) linked object(s)")
        #expect(linked.count == 1)
    }

    @Test func anyNumberingOfASamplesTypesAndStringsCanonicalisesToTheSameBytes() throws {
        for sample in Fixtures.sampleNames {
            let build = try compiler.build(sample, label: "base", in: folder, usePCH: false)
            let canonical = try Data(contentsOf: build.linked)
            for seed: UInt64 in [1, 2, 3] {
                let shuffled = folder.appendingPathComponent("\(sample).shuffled\(seed).o")
                try BTFShuffler.shuffle(build.linked, seed: seed, to: shuffled)
                #expect(try Data(contentsOf: shuffled) != canonical)
                _ = try BPFObjectInspector.inspect(shuffled)  // a valid object before
                let report = try BTFCanonicaliser.canonicaliseObject(shuffled)
                #expect(report.changed)
                #expect(try Data(contentsOf: shuffled) == canonical, "\(sample), seed \(seed)")
            }
        }
    }

    static let typeIDSource = """
        #include <vmlinux.h>
        #include <bpf/bpf_helpers.h>
        #include <bpf/bpf_core_read.h>

        struct local_thing { int a; long b; };

        struct {
            __uint(type, BPF_MAP_TYPE_ARRAY);
            __uint(max_entries, 4);
            __type(key, __u32);
            __type(value, __u64);
        } ids SEC(".maps");

        SEC("tp_btf/sched_switch")
        int on_switch(__u64 *ctx)
        {
            __u32 k0 = 0, k1 = 1, k2 = 2;
            __u64 local = bpf_core_type_id_local(struct local_thing);
            __u64 kernel = bpf_core_type_id_kernel(struct task_struct);
            __u64 task = bpf_core_type_id_local(struct task_struct);
            bpf_map_update_elem(&ids, &k0, &local, BPF_ANY);
            bpf_map_update_elem(&ids, &k1, &kernel, BPF_ANY);
            bpf_map_update_elem(&ids, &k2, &task, BPF_ANY);
            return 0;
        }

        char LICENSE[] SEC("license") = "GPL";
        """

    /// `bpf_core_type_id_local/kernel` put a local type id in the instruction (libbpf replaces it
    /// at load without looking; cilium/ebpf checks it): it follows the renumbering.
    @Test func typeIDRelocationInstructionsCarryTheCanonicalIDs() throws {
        let source = folder.appendingPathComponent("type_ids.bpf.c")
        try Self.typeIDSource.write(to: source, atomically: true, encoding: .utf8)
        var linked: [URL] = []
        for usePCH in [false, true] {
            let object = folder.appendingPathComponent("type_ids.\(usePCH).o")
            #expect(try compiler.compile(source, to: object, usePCH: usePCH) == usePCH)
            linked.append(folder.appendingPathComponent("type_ids.\(usePCH).bpf.o"))
            try BPFLinker.link([object], into: linked.last!)
        }
        let bytes = [UInt8](try Data(contentsOf: linked[0]))
        #expect(try Data(contentsOf: linked[1]) == Data(bytes))

        let table = try ELFSectionTable(bytes)
        let program = try #require(table.section(named: "tp_btf/sched_switch"))
        let btf = try BTFRawSection(Array(bytes[try #require(table.section(named: ".BTF")).range]))
        func structID(_ name: String) throws -> UInt32 {
            for (index, record) in btf.records.enumerated() where record.kind == 4 {  // BTF_KIND_STRUCT
                if try btf.string(at: btf.bytes.u32(at: record.start)) == ArraySlice(name.utf8) { return UInt32(index + 1) }
            }
            return 0
        }
        // 64-bit immediate loads with a non-zero immediate (the map's is 0 until libbpf relocates it).
        let immediates = stride(from: program.range.lowerBound, to: program.range.upperBound - 8, by: 8)
            .filter { bytes[$0] == 0x18 && bytes.u32(at: $0 + 4) != 0 }.map { bytes.u32(at: $0 + 4) }
        #expect(immediates == [try structID("local_thing"), try structID("task_struct"), try structID("task_struct")])

        if BPFTestBench.isRoot {
            let report = try BPFVerifier.load(linked[0])
            #expect(report.allAccepted, "\(report)")
        }
    }

    @Test(.enabled(if: BPFTestBench.isRoot, "needs root to load BPF programs"))
    func theKernelVerifierAcceptsCanonicalisedSamples() throws {
        for sample in Fixtures.sampleNames {
            let build = try compiler.build(sample, label: "verify", in: folder, usePCH: true)
            let report = try BPFVerifier.load(build.linked)
            #expect(report.allAccepted, "\(sample): \(report)")
            #expect(!report.programs.isEmpty)
        }
    }

    @Test func canonicalisationCostPerLink() throws {
        guard SampleCompiler.hasBpftool else { return }
        for sample in Fixtures.sampleNames {
            let build = try compiler.build(sample, label: "cost", in: folder, usePCH: true)
            let raw = folder.appendingPathComponent("\(sample).cost-raw.o")
            try SampleCompiler.bpftoolLink(build.objects, into: raw)
            var canonicalise: [Double] = []
            var link: [Double] = []
            for round in 0..<15 {
                let copy = folder.appendingPathComponent("\(sample).cost\(round).o")
                try FileManager.default.copyItem(at: raw, to: copy)
                canonicalise.append(try BPFTestBench.milliseconds { try BTFCanonicaliser.canonicaliseObject(copy) }.1)
                link.append(try BPFTestBench.milliseconds { try BPFLinker.link(build.objects, into: copy) }.1)
            }
            let median = { (values: [Double]) in String(format: "%.2f", values.sorted()[values.count / 2]) }
            print("timing: \(sample): canonicalise \(median(canonicalise)) ms, link with it \(median(link)) ms (median of 15)")
        }
    }
}
