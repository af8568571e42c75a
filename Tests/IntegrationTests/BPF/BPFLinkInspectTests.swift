import Foundation
import GadgetBuild
import Testing

@Suite("libbpf link and inspect (really compiled objects)", .enabled(if: BPFTestBench.hasClang, "needs a clang with the BPF target"))
struct BPFLinkInspectTests {
    @Test func linksAnExternFunctionAndMapAcrossObjects() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let definitions = try BPFTestBench.compile(BPFSources.definitions, named: "definitions", in: directory)
        let uses = try BPFTestBench.compile(BPFSources.uses, named: "uses", in: directory)
        let linked = directory.appendingPathComponent("linked.bpf.o")

        let (_, linkTime) = try BPFTestBench.milliseconds { try BPFLinker.link([definitions, uses], into: linked) }
        let (summary, openTime) = try BPFTestBench.milliseconds { try BPFObjectInspector.inspect(linked) }
        print("timing: link 2 objects \(String(format: "%.2f", linkTime)) ms, open+inspect \(String(format: "%.2f", openTime)) ms")

        #expect(summary.hasBTF)
        #expect(summary.programs.map(\.name).sorted() == ["count_packets", "on_switch"])
        let socket = try #require(summary.program(named: "count_packets"))
        #expect(socket.section == "socket")
        #expect(socket.type == "socket_filter")
        #expect(socket.attachType == nil)
        let tracing = try #require(summary.program(named: "on_switch"))
        #expect(tracing.section == "tp_btf/sched_switch")
        #expect(tracing.type == "tracing")
        #expect(tracing.attachType == "trace_raw_tp")

        // One map after the extern was resolved against the definition.
        #expect(summary.maps.filter { $0.name == "shared_counts" }.count == 1)
        let map = try #require(summary.map(named: "shared_counts"))
        #expect(map.type == "hash")
        #expect(map.keySize == 4 && map.valueSize == 8 && map.maxEntries == 128)
        #expect(!map.isInternal)
        #expect(summary.variable(named: "shared_counts")?.section == ".maps")

        // Linked output is smaller (no DWARF) and deterministic.
        let again = directory.appendingPathComponent("again.bpf.o")
        try BPFLinker.link([definitions, uses], into: again)
        #expect(try Data(contentsOf: linked) == Data(contentsOf: again))
        // Byte-identical to `bpftool gen object`, which runs the same libbpf linker, once its BTF
        // is put in the same canonical order.
        let bpftool = "/usr/sbin/bpftool"
        if FileManager.default.isExecutableFile(atPath: bpftool) {
            let reference = directory.appendingPathComponent("bpftool.o")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: bpftool)
            process.arguments = ["gen", "object", reference.path, definitions.path, uses.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus == 0 {
                _ = try BTFCanonicaliser.canonicaliseObject(reference)
                #expect(try Data(contentsOf: reference) == Data(contentsOf: linked), "differs from `bpftool gen object`")
            }
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func linkingAnUnresolvedExternFailsWithLibbpfsReason() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let uses = try BPFTestBench.compile(BPFSources.uses, named: "uses", in: directory)
        let twice = try BPFTestBench.compile(BPFSources.definitions, named: "definitions", in: directory)
        let output = directory.appendingPathComponent("out.bpf.o")

        let error = try #require(throws: BPFError.self) { try BPFLinker.link([twice, twice], into: output) }
        #expect(error.operation == .link)
        #expect(!error.libbpfMessages.isEmpty)
        #expect(!error.description.contains("\n"))
        print("duplicate definitions: \(error)")
        #expect(!FileManager.default.fileExists(atPath: output.path))

        // A lone object with unresolved externs links (libbpf leaves them extern) but is incomplete.
        try BPFLinker.link([uses], into: output)
        #expect(FileManager.default.fileExists(atPath: output.path))
    }

    @Test func inspectsGadgetMarkersParamsAndStructs() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let object = try BPFTestBench.compile(BPFSources.gadget, named: "gadget", in: directory)
        let linked = directory.appendingPathComponent("gadget.linked.o")
        try BPFLinker.link([object], into: linked)

        for url in [object, linked] {
            let summary = try BPFObjectInspector.inspect(url)
            let marker = try #require(summary.variable(named: "gadget_tracer_exec___events___event"))
            #expect(marker.typeName == "const void *")
            #expect(!marker.isConstVolatile)

            let param = try #require(summary.variable(named: "targ_pid"))
            #expect(param.isConstVolatile)
            #expect(param.typeName == "int")
            #expect(param.section == ".rodata")
            #expect(summary.variable(named: "plain_const")?.isConstVolatile == false)
            #expect(summary.variable(named: "plain_volatile")?.isConstVolatile == false)
            #expect(summary.variable(named: "counter")?.section == ".bss")
            #expect(summary.variable(named: "events")?.section == ".maps")

            let event = try #require(summary.structure(named: "event"))
            #expect(event.kind == "struct")
            #expect(event.members.map(\.name) == ["pid", "comm", ""])
            #expect(event.members.map(\.typeName) == ["__u32", "__u8[16]", "union {...}"])

            let ringbuf = try #require(summary.map(named: "events"))
            #expect(ringbuf.type == "ringbuf")
            #expect(ringbuf.maxEntries == 4096)
            #expect(summary.maps.contains { $0.isInternal && $0.name.hasSuffix(".rodata") })

            let optional = try #require(summary.program(named: "optional_filter"))
            #expect(!optional.autoload)
            #expect(summary.program(named: "handle_exec")?.autoload == true)
            #expect(summary.program(named: "handle_exec")?.instructionCount ?? 0 > 5)

            // The summary round-trips through JSON (it is cached and printed).
            let data = try JSONEncoder().encode(summary)
            #expect(try JSONDecoder().decode(BPFObjectSummary.self, from: data) == summary)
        }
    }

    @Test func objectWithoutBTFIsReportedOrRefused() throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = try BPFTestBench.compile(
            BPFSources.prelude + "SEC(\"socket\") int f(struct __sk_buff *skb) { return 0; }\n",
            named: "plain", in: directory, debugInfo: false)
        let summary = try BPFObjectInspector.inspect(plain)
        #expect(!summary.hasBTF)
        #expect(summary.variables.isEmpty && summary.structures.isEmpty)
        #expect(summary.programs.map(\.name) == ["f"])

        let withMaps = try BPFTestBench.compile(BPFSources.outOfBounds, named: "maps", in: directory, debugInfo: false)
        let error = try #require(throws: BPFError.self) { try BPFObjectInspector.inspect(withMaps) }
        #expect(error.operation == .open)
        #expect(error.description.contains("-g"))
        print("no BTF with .maps: \(error)")
    }

    @Test func parallelLinksGiveIdenticalBytes() async throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputs = [
            try BPFTestBench.compile(BPFSources.definitions, named: "definitions", in: directory),
            try BPFTestBench.compile(BPFSources.uses, named: "uses", in: directory),
        ]
        let reference = directory.appendingPathComponent("reference.o")
        try BPFLinker.link(inputs, into: reference)
        let expected = try Data(contentsOf: reference)
        try await withThrowingTaskGroup(of: Data.self) { group in
            for arch in ["amd64", "arm64", "amd64-again", "arm64-again"] {
                group.addTask {
                    let output = directory.appendingPathComponent("\(arch).bpf.o")
                    try BPFLinker.link(inputs, into: output)
                    _ = try BPFObjectInspector.inspect(output)
                    return try Data(contentsOf: output)
                }
            }
            for try await bytes in group { #expect(bytes == expected) }
        }
    }

    @Test func concurrentInspectionsKeepTheirOwnMessages() async throws {
        let directory = try BPFTestBench.makeDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try BPFTestBench.compile(BPFSources.gadget, named: "good", in: directory)
        var bad: [URL] = []
        for index in 0..<4 {
            bad.append(try BPFTestBench.compile(BPFSources.outOfBounds, named: "bad\(index)", in: directory, debugInfo: false))
        }
        let badObjects = bad
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<16 {
                let badObject = badObjects[round % badObjects.count]
                group.addTask {
                    let summary = try BPFObjectInspector.inspect(good)
                    #expect(summary.programs.count == 2)
                    let error = try #require(throws: BPFError.self) { try BPFObjectInspector.inspect(badObject) }
                    let others = badObjects.filter { $0 != badObject }.map(\.lastPathComponent)
                    #expect(!error.libbpfMessages.contains { line in others.contains { line.contains($0) } })
                }
            }
            try await group.waitForAll()
        }
    }
}
