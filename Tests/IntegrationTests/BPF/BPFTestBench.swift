import Foundation

/// Compiles tiny BPF C sources with a real clang into a fresh temporary folder, for the libbpf
/// integration tests. Skips (with a printed reason) are decided by `hasClang` and `isRoot`.
enum BPFTestBench {
    /// A clang with the BPF target: $GADGETC_TEST_CLANG, the Swift toolchain's, or Debian's.
    static let clang: URL? = {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["GADGETC_TEST_CLANG"] { candidates.append(override) }
        candidates += ["/opt/swift/usr/bin/clang", "/usr/bin/clang-16", "/usr/bin/clang-14", "/usr/bin/clang"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }.map(URL.init(fileURLWithPath:))
    }()

    static var hasClang: Bool {
        if clang == nil { print("skipping: no clang with the BPF target (set GADGETC_TEST_CLANG)") }
        return clang != nil
    }

    static var isRoot: Bool {
        let root = geteuid() == 0
        if !root { print("skipping: loading BPF into the kernel needs root (running as uid \(geteuid()))") }
        return root
    }

    /// The host's multiarch include folder, where `<asm/types.h>` lives for `<linux/bpf.h>`.
    static let multiarchInclude: String = {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return "/usr/include/\(machine == "aarch64" ? "aarch64" : machine)-linux-gnu"
    }()

    static func makeDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("gadgetc-bpf-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    struct CompileFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Writes `source` to DIR/NAME.bpf.c and compiles it to DIR/NAME.bpf.o.
    @discardableResult
    static func compile(
        _ source: String, named name: String, in directory: URL, debugInfo: Bool = true, flags: [String] = []
    ) throws -> URL {
        guard let clang else { throw CompileFailure(description: "no clang") }
        let sourceURL = directory.appendingPathComponent("\(name).bpf.c")
        let objectURL = directory.appendingPathComponent("\(name).bpf.o")
        try source.write(to: sourceURL, atomically: true, encoding: .utf8)
        let run = try Fixtures.runBlocking(clang.path, ["-target", "bpf", "-O2", "-Wall", "-Wno-unused-variable"] + (debugInfo ? ["-g"] : [])
            + ["-I", multiarchInclude, "-I", directory.path] + flags + ["-c", sourceURL.path, "-o", objectURL.path])
        guard run.status == 0 else {
            throw CompileFailure(description: "clang failed on \(name): \(String(decoding: run.errors, as: UTF8.self))")
        }
        return objectURL
    }

    /// Runs `body` and returns how long it took, in milliseconds.
    static func milliseconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let clock = ContinuousClock()
        var result: T?
        let duration = try clock.measure { result = try body() }
        let (seconds, attoseconds) = duration.components
        return (result!, Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }
}

/// The BPF C sources the integration tests compile.
enum BPFSources {
    static let prelude = """
        #include <linux/bpf.h>
        #include <bpf/bpf_helpers.h>

        """

    static let countsMap = """
        struct {
            __uint(type, BPF_MAP_TYPE_HASH);
            __uint(max_entries, 128);
            __type(key, __u32);
            __type(value, __u64);
        } shared_counts SEC(".maps")
        """

    /// Defines a map and a global function that the other object uses.
    static let definitions = prelude + countsMap + """
        ;

        __noinline int shared_bump(__u32 key)
        {
            __u64 one = 1;
            bpf_map_update_elem(&shared_counts, &key, &one, BPF_ANY);
            return 0;
        }

        SEC("socket")
        int count_packets(struct __sk_buff *skb)
        {
            return shared_bump(0);
        }

        char LICENSE[] SEC("license") = "GPL";
        """

    /// Uses the map and the function of `definitions` as externs.
    static let uses = prelude + "extern " + countsMap + """
        ;
        extern int shared_bump(__u32 key);

        SEC("tp_btf/sched_switch")
        int on_switch(__u64 *ctx)
        {
            __u32 key = 2;
            bpf_map_delete_elem(&shared_counts, &key);
            return shared_bump(1);
        }
        """

    /// Shaped like an Inspektor Gadget tracer: a marker, an event struct, a ring buffer, a param.
    static let gadget = prelude + """
        struct event {
            __u32 pid;
            __u8 comm[16];
            union { __u64 flags; __u32 mode; };
        };

        struct {
            __uint(type, BPF_MAP_TYPE_RINGBUF);
            __uint(max_entries, 4096);
        } events SEC(".maps");

        const void *gadget_tracer_exec___events___event __attribute__((unused));
        const struct event *unused_event __attribute__((unused));

        const volatile int targ_pid = 0;
        const int plain_const = 7;
        volatile int plain_volatile = 3;
        int counter = 0;

        SEC("tp_btf/sched_process_exec")
        int handle_exec(__u64 *ctx)
        {
            if (targ_pid)
                return 0;
            struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
            if (!e)
                return 0;
            e->pid = bpf_get_current_pid_tgid() >> 32;
            bpf_get_current_comm(e->comm, sizeof(e->comm));
            e->flags = plain_const + plain_volatile;
            bpf_ringbuf_submit(e, 0);
            __sync_fetch_and_add(&counter, 1);
            return 0;
        }

        SEC("?socket")
        int optional_filter(struct __sk_buff *skb)
        {
            return 0;
        }

        char LICENSE[] SEC("license") = "GPL";
        """

    /// One program the verifier accepts, one that reads past the end of a map value.
    static let outOfBounds = prelude + """
        struct {
            __uint(type, BPF_MAP_TYPE_ARRAY);
            __uint(max_entries, 1);
            __type(key, __u32);
            __type(value, __u64);
        } slots SEC(".maps");

        SEC("socket")
        int in_bounds(struct __sk_buff *skb)
        {
            __u32 key = 0;
            __u64 *value = bpf_map_lookup_elem(&slots, &key);
            return value ? (int)*value : 0;
        }

        SEC("socket")
        int past_the_end(struct __sk_buff *skb)
        {
            __u32 key = 0;
            __u64 *value = bpf_map_lookup_elem(&slots, &key);
            if (!value)
                return 0;
            return (int)((volatile __u64 *)value)[1];
        }

        char LICENSE[] SEC("license") = "GPL";
        """
}
