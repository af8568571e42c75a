import Foundation
import Testing
import Yams
@testable import GadgetBuild

/// Issue 11, point 1: `--update-metadata` takes new fields', params' and data sources' descriptions
/// from the gadget's C comments, read through the real libclang with the build's flags; a maintainer's
/// text stays; without libclang the placeholders come with one line saying why.
@Suite struct MetadataDescriptionsTests {
    static let source = """
        // SPDX-License-Identifier: GPL-2.0
        #include <vmlinux.h>
        #include <bpf/bpf_helpers.h>
        #include <gadget/macros.h>
        #include <gadget/types.h>

        struct event {
        \t/// When the event happened
        \tgadget_timestamp timestamp_raw;
        \t// Process ID of the caller,
        \t// as the kernel counts it
        \tgadget_pid pid;
        \t__u32 count; /* How many times */
        \tgadget_file_flags flags_raw; // Open flags
        \tstruct {
        \t\t__u32 inner; // A nested member
        \t} nested;
        \t/** The maintainer's text wins over this */
        \t__u32 kept;
        \t__u32 plain;
        };

        struct {
        \t__uint(type, BPF_MAP_TYPE_RINGBUF);
        \t__uint(max_entries, 4096);
        } events SEC(".maps");

        // Calls to open(2)
        GADGET_TRACER(open, events, event);

        struct counter_key {
        	__u32 pid; // The counted process
        };

        struct counter_value {
        	/* Calls it made */
        	__u64 calls;
        };

        struct {
        	__uint(type, BPF_MAP_TYPE_HASH);
        	__uint(max_entries, 64);
        	__type(key, struct counter_key);
        	__type(value, struct counter_value);
        } counts SEC(".maps");

        GADGET_MAPITER(counters, counts); // Calls per process

        // Only events of this process
        const volatile __u32 targ_pid = 0;
        GADGET_PARAM(targ_pid);
        const volatile bool quiet = false;
        GADGET_PARAM(quiet);

        SEC("tracepoint/syscalls/sys_enter_openat")
        int trace_open(void *ctx)
        {
        \tstruct event *event = bpf_ringbuf_reserve(&events, sizeof(*event), 0);
        \tif (!event)
        \t\treturn 0;
        \t__builtin_memset(event, 0, sizeof(*event));
        \tevent->pid = targ_pid + quiet;
        \tbpf_ringbuf_submit(event, 0);
        \treturn 0;
        }

        char LICENSE[] SEC("license") = "GPL";

        """
    static let metadata = """
        name: described
        datasources:
          open:
            fields:
              kept:
                annotations:
                  description: Kept as the maintainer wrote it

        """

    /// A gadget folder with the sample, gadget.yaml listing one field; runs `--update-metadata`.
    func update(_ work: URL, environment: [String: String] = [:]) async throws -> (result: ProcessResult, root: Node.Mapping) {
        let gadget = work.appendingPathComponent("described")
        try FileManager.default.createDirectory(at: gadget, withIntermediateDirectories: true)
        try Data(Self.source.utf8).write(to: gadget.appendingPathComponent("program.bpf.c"))
        let file = gadget.appendingPathComponent("gadget.yaml")
        try Data(Self.metadata.utf8).write(to: file)
        let result = try await Fixtures.run(
            [Fixtures.gadgetc, "build", gadget.path, "--update-metadata", "-I", Fixtures.bundledHeaders, "--arch", "amd64",
             "--oci-layout", work.appendingPathComponent("layout").path],
            environment: ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path].merging(environment) { $1 })
        let root = try #require(try Yams.compose(yaml: String(decoding: try Data(contentsOf: file), as: UTF8.self))?.mapping)
        return (result, root)
    }

    static func description(_ root: Node.Mapping, _ field: String) -> String? {
        root["datasources"]?.mapping?["open"]?.mapping?["fields"]?.mapping?[field]?.mapping?["annotations"]?.mapping?["description"]?.string
    }

    static func param(_ root: Node.Mapping, _ name: String) -> String? {
        root["params"]?.mapping?["ebpf"]?.mapping?[name]?.mapping?["description"]?.string
    }

    @Test(.enabled(if: Libclang.find(listDirectory: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }) != nil,
                   "no libclang on this host: apt-get install libclang1-16"))
    func commentsBecomeDescriptionsAndAMaintainersTextStays() async throws {
        let work = try Fixtures.temporaryDirectory("metadata-descriptions")
        defer { try? FileManager.default.removeItem(at: work) }
        let (run, root) = try await update(work)
        #expect(run.succeeded, "\(run.standardError)")
        #expect(!run.standardError.contains("need libclang"), "\(run.standardError)")
        // `///`, `//` over two lines, a trailing `/* */` and `//`, a member of a nested struct.
        #expect(Self.description(root, "timestamp_raw") == "When the event happened")
        #expect(Self.description(root, "pid") == "Process ID of the caller, as the kernel counts it")
        #expect(Self.description(root, "count") == "How many times")
        #expect(Self.description(root, "flags_raw") == "Open flags")
        #expect(Self.description(root, "nested.inner") == "A nested member")
        // What the formatters make of a member: described by the member's comment.
        #expect(Self.description(root, "timestamp") == "When the event happened")
        #expect(Self.description(root, "flags") == "Open flags")
        // The maintainer's text is kept; a member without a comment gets ig's placeholder.
        #expect(Self.description(root, "kept") == "Kept as the maintainer wrote it")
        #expect(Self.description(root, "plain") == "TODO: Fill field description")
        #expect(Self.description(root, "nested") == "TODO: Fill field description")
        // The data source's own description from the comment on its marker.
        #expect(root["datasources"]?.mapping?["open"]?.mapping?["annotations"]?.mapping?["description"]?.string == "Calls to open(2)")
        #expect(root["datasources"]?.mapping?["open"]?.mapping?.keys.compactMap(\.string) == ["annotations", "fields"])
        #expect(Self.param(root, "targ_pid") == "Only events of this process")
        #expect(Self.param(root, "quiet") == "TODO: Fill parameter description")
        // A map iterator: its key's and value's members, and a comment trailing its marker.
        let counters = try #require(root["datasources"]?.mapping?["counters"]?.mapping, "\(run.standardError)")
        #expect(counters["annotations"]?.mapping?["description"]?.string == "Calls per process")
        let fields = try #require(counters["fields"]?.mapping)
        #expect(fields.keys.compactMap(\.string) == ["pid", "calls"])
        #expect(fields["pid"]?.mapping?["annotations"]?.mapping?["description"]?.string == "The counted process")
        #expect(fields["calls"]?.mapping?["annotations"]?.mapping?["description"]?.string == "Calls it made")
    }

    @Test func withoutLibclangThePlaceholdersComeWithOneLineSayingWhy() async throws {
        let work = try Fixtures.temporaryDirectory("metadata-descriptions-none")
        defer { try? FileManager.default.removeItem(at: work) }
        let notALibrary = work.appendingPathComponent("libclang.so")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Data("not a library".utf8).write(to: notALibrary)
        let (run, root) = try await update(work, environment: ["GADGETC_LIBCLANG": notALibrary.path])
        #expect(run.succeeded, "\(run.standardError)")
        let lines = run.standardError.split(separator: "\n").filter { $0.contains("descriptions from C comments need libclang") }
        #expect(lines.count == 1 && lines[0].contains("cannot load libclang from \(notALibrary.path)")
                && lines[0].contains("set GADGETC_LIBCLANG"), "\(run.standardError)")
        #expect(Self.description(root, "pid") == "TODO: Fill field description")
        #expect(Self.description(root, "flags") == "TODO: Fill field description")
        #expect(Self.description(root, "kept") == "Kept as the maintainer wrote it")
        #expect(Self.param(root, "targ_pid") == "TODO: Fill parameter description")
        #expect(root["datasources"]?.mapping?["open"]?.mapping?["annotations"] == nil)
    }
}
