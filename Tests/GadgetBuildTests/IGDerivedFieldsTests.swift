import Foundation
import Testing
import Yams
@testable import GadgetBuild

/// The fields ig's operators give a data source, and what `--update-metadata` and validation make of
/// them, on hand-made object summaries (no clang, no libbpf).
@Suite struct IGDerivedFieldsTests {
    typealias Summary = BPFObjectSummary
    typealias Member = Summary.Structure.Member

    static func value(_ name: String, _ types: String...) -> Member {
        .init(name: name, typeName: types.first ?? "__u32", bitOffset: 0, typeNames: types, layout: .value)
    }

    static func composite(_ name: String, _ type: String, _ members: [Member]) -> Member {
        .init(name: name, typeName: "struct \(type)", bitOffset: 0, typeNames: [type], layout: .composite(members))
    }

    static let process = composite("proc", "gadget_process", [
        value("comm", "gadget_comm", "char"), value("pid", "gadget_pid", "__u32"), value("tid", "gadget_tid", "__u32"),
        value("mntns_id", "gadget_mntns_id", "__u64"),
        composite("creds", "gadget_creds", [value("uid", "gadget_uid", "__u32"), value("gid", "gadget_gid", "__u32")]),
        composite("parent", "gadget_parent", [value("comm", "gadget_pcomm", "char"), value("pid", "gadget_ppid", "__u32"),
                                               value("tid", "gadget_tid", "__u32")]),
    ])

    static func endpoint(_ name: String, l4: Bool) -> Member {
        let address = Member(name: "addr_raw", typeName: "union gadget_ip_addr_t", bitOffset: 0, typeNames: ["gadget_ip_addr_t"],
                             layout: .composite([value("v6", "__u8"), value("v4", "__u32")]))
        return composite(name, l4 ? "gadget_l4endpoint_t" : "gadget_l3endpoint_t",
                         l4 ? [address, value("port", "__u16"), value("proto_raw", "__u16"), value("version", "__u8")]
                            : [address, value("version", "__u8")])
    }

    static func paths(_ members: [Member], annotations: [String: [String: String]] = [:]) -> [String] {
        IGDerivedFields.fields(of: [members], annotations: annotations).filter { !$0.isGroup }.map(\.path)
    }

    @Test func formattersNameAStringFieldAfterTheRawOne() {
        let members = [
            Self.value("timestamp_raw", "gadget_timestamp", "__u64"), Self.value("error_raw", "gadget_errno", "__u32"),
            Self.value("flags_raw", "gadget_file_flags", "__u32"), Self.value("mode_raw", "gadget_file_mode", "__u32"),
            Self.value("sig_raw", "gadget_signal", "__u32"), Self.value("syscall_raw", "gadget_syscall", "__u64"),
            Self.value("size_raw", "gadget_bytes", "__u64"), Self.value("latency_raw", "gadget_duration", "__u64"),
            Self.value("kstack_raw", "gadget_kernel_stack", "__u32"),
        ]
        #expect(Self.paths(members) == [
            "timestamp_raw", "timestamp", "error_raw", "error", "flags_raw", "flags", "mode_raw", "mode", "sig_raw", "sig",
            "syscall_raw", "syscall", "size_raw", "size", "latency_raw", "latency", "kstack_raw", "kstack",
        ])
    }

    @Test func withoutRawSuffixOrTargetAnnotationIgAddsNothing() {
        #expect(Self.paths([Self.value("sig", "gadget_signal", "__u32")]) == ["sig"])
        // The gadget's annotation names the field, as formatters.<kind>.target does in ig.
        #expect(Self.paths([Self.value("sig", "gadget_signal", "__u32")], annotations: ["sig": ["formatters.signal.target": "signal"]])
                == ["sig", "signal"])
    }

    @Test func enumMembersGetTheirNameWithoutRaw() {
        let kind = Member(name: "type_raw", typeName: "enum type", bitOffset: 0, typeNames: ["type"], layout: .enumeration)
        let plain = Member(name: "state", typeName: "enum state", bitOffset: 0, typeNames: ["state"], layout: .enumeration)
        #expect(Self.paths([kind, plain]) == ["type_raw", "type", "state"])
        #expect(Self.paths([plain], annotations: ["state": ["ebpf.formatter.enum": "state_name"]]) == ["state", "state_name"])
    }

    @Test func processStructExpandsAndMountNamespaceBringsEnrichment() {
        let fields = IGDerivedFields.fields(of: [[Self.process]])
        let paths = fields.filter { !$0.isGroup }.map(\.path)
        #expect(Array(paths.prefix(16)) == [
            "proc", "proc.comm", "proc.pid", "proc.tid", "proc.mntns_id", "proc.creds", "proc.creds.uid", "proc.creds.user",
            "proc.creds.gid", "proc.creds.group", "proc.parent", "proc.parent.comm", "proc.parent.pid", "proc.parent.tid",
            "k8s.node", "k8s.namespace",
        ])
        for path in ["k8s.podName", "k8s.containerName", "k8s.hostnetwork", "k8s.podLabels", "k8s.owner.kind", "k8s.owner.name",
                     "runtime.containerName", "runtime.containerId", "runtime.containerPid", "runtime.containerImageName"] {
            #expect(paths.contains(path), "\(path)")
        }
        // Grouping fields are known (validation accepts them) but are not written.
        #expect(fields.filter(\.isGroup).map(\.path) == ["k8s", "k8s.owner", "runtime"])
        #expect(fields.first { $0.path == "proc.creds.user" }?.origin == .derived("uidgidresolver"))
    }

    @Test func endpointsAndUserStacksGetTheirOperatorsFields() {
        let stack = Self.composite("ustack", "gadget_user_stack", IGDerivedFields.userStackMembers.map { Self.value($0, "__u32") })
        let paths = Self.paths([Self.endpoint("dst", l4: true), Self.endpoint("nameserver", l4: false), stack])
        for path in ["dst.addr_raw.v4", "dst.addr", "dst.proto", "dst.endpoint", "dst.k8s.kind", "dst.k8s.name", "dst.k8s.namespace",
                     "dst.k8s.labels", "dst.k8s.podSelector", "nameserver.addr", "ustack.addresses", "ustack.buildid", "ustack.symbols"] {
            #expect(paths.contains(path), "\(path) in \(paths)")
        }
        #expect(!paths.contains("nameserver.endpoint") && !paths.contains("nameserver.k8s.name"))
        // No mount or network namespace member: no k8s/runtime enrichment.
        #expect(!paths.contains("k8s.podName"))
    }

    @Test func membersIgSkipsAreLeftOut() {
        let pointer = Member(name: "task", typeName: "struct task_struct *", bitOffset: 0, typeNames: [], layout: Summary.Structure.Layout.none)
        #expect(Self.paths([Self.value("__pad", "__u32"), pointer, Self.value("fd", "__u32")]) == ["fd"])
    }

    // MARK: marker kinds

    static func object(variables: [String], programs: [Summary.Program] = [], maps: [Summary.Map] = [],
                       structures: [Summary.Structure]) -> Summary {
        Summary(hasBTF: true, programs: programs, maps: maps,
                variables: variables.map { .init(name: $0, section: ".bss", isConstVolatile: false, typeName: "const void *") },
                structures: structures)
    }

    static let iterator = object(
        variables: ["gadget_iter_gpu_top___gpu_event___dump_gpus", "gadget_mapelem_iter_target_dump_gpus___gpu_device"],
        programs: [.init(name: "dump_gpus", section: "iter/bpf_map_elem", type: "tracing", attachType: "trace_iter", instructionCount: 8, autoload: true)],
        maps: [.init(name: "gpu_device", type: "hash", keySize: 4, valueSize: 8, maxEntries: 8, isInternal: false)],
        structures: [.init(name: "gpu_event", kind: "struct", size: 16, members: [
            value("device", "__u32"), value("mem_used_raw", "gadget_bytes", "__u64"),
        ])])

    @Test func iteratorWithTargetMapMakesADataSource() throws {
        let result = try MetadataUpdater().update(nil, object: Self.iterator)
        let root = try MetadataUpdaterTests.yaml(result.bytes)
        let fields = try #require(root["datasources"]?.mapping?["gpu_top"]?.mapping?["fields"]?.mapping)
        #expect(fields.keys.compactMap(\.string) == ["device", "mem_used_raw", "mem_used"])
        #expect(MetadataValidator().problems(metadata: try GadgetMetadata(bytes: result.bytes, origin: "gadget.yaml"), object: Self.iterator).isEmpty)
    }

    @Test func iteratorMarkersAreValidated() {
        var object = Self.iterator
        object.programs[0].section = "kprobe/foo"
        object.variables.append(.init(name: "gadget_mapelem_iter_target_dump_gpus___missing", section: ".bss", isConstVolatile: false, typeName: "const void *"))
        let problems = MetadataValidator().problems(metadata: nil, object: object)
        #expect(problems.contains("iterator 'gpu_top' names program 'dump_gpus' in section 'kprobe/foo', but an iterator needs an 'iter/' program"))
        #expect(problems.contains("iterator target map for program 'dump_gpus' names map 'missing', which the object does not define"))
    }

    @Test func mapIteratorListsKeyThenValueFields() throws {
        let object = Self.object(
            variables: ["gadget_mapiter_samples___counts"],
            maps: [.init(name: "counts", type: "hash", keySize: 8, valueSize: 8, maxEntries: 8, isInternal: false, keyStruct: "key_t", valueStruct: "values")],
            structures: [.init(name: "key_t", kind: "struct", size: 8, members: [Self.value("kern_stack_raw", "gadget_kernel_stack", "__u32")]),
                         .init(name: "values", kind: "struct", size: 8, members: [Self.value("samples", "__u64")])])
        let root = try MetadataUpdaterTests.yaml(try MetadataUpdater().update(nil, object: object).bytes)
        #expect(root["datasources"]?.mapping?["samples"]?.mapping?["fields"]?.mapping?.keys.compactMap(\.string)
                == ["kern_stack_raw", "kern_stack", "samples"])
    }

    // MARK: update and validation

    static let tracer = object(
        variables: ["gadget_tracer_open___events___event"],
        maps: [.init(name: "events", type: "ringbuf", keySize: 0, valueSize: 0, maxEntries: 4096, isInternal: false)],
        structures: [.init(name: "event", kind: "struct", size: 64, members: [
            value("timestamp_raw", "gadget_timestamp", "__u64"), process, value("flags_raw", "gadget_file_flags", "__u32"),
            value("fd", "__u32"),
        ])])

    @Test func newFieldsGoAfterTheirSourceAndMaintainerTextStays() throws {
        let existing = """
            name: trace open
            operator:
              oci: {}
            datasources:
              open:
                annotations:
                  cli.clear-screen-before: "true"
                fields:
                  flags:
                    annotations:
                      description: open(2) flags
                      columns.width: 10
                  fd:
                    annotations:
                      description: File descriptor
            """
        let result = try MetadataUpdater().update(Data(existing.utf8), object: Self.tracer)
        let root = try MetadataUpdaterTests.yaml(result.bytes)
        #expect(root["operator"]?.mapping?["oci"] != nil)
        let source = try #require(root["datasources"]?.mapping?["open"]?.mapping)
        #expect(source["annotations"]?.mapping?["cli.clear-screen-before"]?.string == "true")
        let fields = try #require(source["fields"]?.mapping)
        let names = fields.keys.compactMap(\.string)
        #expect(Array(names.prefix(3)) == ["timestamp_raw", "timestamp", "proc"])
        #expect(names.firstIndex(of: "flags_raw")! + 1 == names.firstIndex(of: "flags")!)
        #expect(names.firstIndex(of: "flags")! + 1 == names.firstIndex(of: "fd")!)
        #expect(names.contains("k8s.podName") && names.contains("proc.parent.tid"))
        #expect(fields["flags"]?.mapping?["annotations"]?.mapping?["description"]?.string == "open(2) flags")
        #expect(fields["flags"]?.mapping?["annotations"]?.mapping?["columns.width"]?.string == "10")
        #expect(fields["fd"]?.mapping?["annotations"]?.mapping?["description"]?.string == "File descriptor")
        #expect(fields["flags_raw"]?.mapping?["annotations"]?.mapping?["description"]?.string == "TODO: Fill field description")
        // A second run finds nothing to add.
        #expect(try MetadataUpdater().update(result.bytes, object: Self.tracer).changed == false)
    }

    @Test func descriptionsComeFromAPluggableSource() throws {
        struct Fixed: FieldDescriptionSource {
            func description(of field: DataSourceField, in dataSource: String) -> String? {
                field.path == "fd" ? "from a doc comment" : nil
            }
        }
        let root = try MetadataUpdaterTests.yaml(try MetadataUpdater(descriptions: Fixed()).update(nil, object: Self.tracer).bytes)
        let fields = try #require(root["datasources"]?.mapping?["open"]?.mapping?["fields"]?.mapping)
        #expect(fields["fd"]?.mapping?["annotations"]?.mapping?["description"]?.string == "from a doc comment")
        #expect(fields["flags"]?.mapping?["annotations"]?.mapping?["description"]?.string == "TODO: Fill field description")
    }

    static func metadata(_ fields: [String]) throws -> GadgetMetadata {
        let text = "datasources:\n  open:\n    fields:\n" + fields.map { "      \($0):\n        annotations: {}\n" }.joined()
        return try GadgetMetadata(bytes: Data(text.utf8), origin: "gadget.yaml")
    }

    @Test func validationAcceptsDerivedFields() throws {
        let metadata = try Self.metadata(["flags", "flags_raw", "timestamp", "proc.comm", "proc.parent.tid", "proc.creds.user",
                                          "k8s", "k8s.podName", "runtime.containerName", "fd"])
        #expect(MetadataValidator().problems(metadata: metadata, object: Self.tracer).isEmpty)
    }

    @Test func validationRejectsAMisspelledFieldWithPathAndNearestName() throws {
        let problems = MetadataValidator().problems(metadata: try Self.metadata(["flgas", "k8s.podname"]), object: Self.tracer)
        #expect(problems == [
            "datasources.open.fields.flgas: data source 'open' has no field 'flgas'; did you mean 'flags'?",
            "datasources.open.fields.k8s.podname: data source 'open' has no field 'k8s.podname'; did you mean 'k8s.podName'?",
        ])
        // A name far from every field is more likely stale than mistyped: reported, not rejected.
        let stale = try Self.metadata(["reason_raw"])
        #expect(MetadataValidator().problems(metadata: stale, object: Self.tracer).isEmpty)
        let unknown = MetadataValidator().unknownFields(stale, object: Self.tracer, wasm: nil)
        #expect(unknown.map(\.path) == ["datasources.open.fields.reason_raw"])
    }

    // MARK: wasm

    @Test func wasmSourcesDeclareFieldsAndDataSources() {
        let go = WasmDeclaredFields.parse("""
            ds, err := api.GetDataSource("dns")
            idF, err := ds.AddField("id", api.Kind_String)
            qrF, err := ds.AddField("qr", api.Kind_String)
            dsDeadlock, err := api.NewDataSource("deadlock", api.DataSourceTypeSingle)
            pidF, err := dsDeadlock.AddField("pid", api.Kind_Uint32)
            out, err = api.NewDataSource("traceloop", api.DataSourceTypeSingle)
            *info.field, err = out.AddField(name, info.kind)
            """)
        #expect(go.fields["dns"] == ["id", "qr"])
        #expect(go.fields["deadlock"] == ["pid"])
        #expect(go.createdDataSources == ["deadlock", "traceloop"])
        #expect(go.openDataSources == ["traceloop"])
        let rust = WasmDeclaredFields.parse("""
            let ds = match DataSource::get_datasource("mount".to_string()) {
            let call_field = match ds.add_field("call", FieldKind::String) {
            """)
        #expect(rust.fields["mount"] == ["call"])
    }

    @Test func wasmFieldsAreAddedAndAccepted() throws {
        let wasm = WasmDeclaredFields(fields: ["open": ["decoded"], "summary": ["text"]], createdDataSources: ["summary"])
        let root = try MetadataUpdaterTests.yaml(try MetadataUpdater().update(nil, object: Self.tracer, wasm: wasm).bytes)
        #expect(root["datasources"]?.mapping?["open"]?.mapping?["fields"]?.mapping?["decoded"] != nil)
        #expect(root["datasources"]?.mapping?["summary"]?.mapping?["fields"]?.mapping?.keys.compactMap(\.string) == ["text"])
        let metadata = try Self.metadata(["decoded", "fd"])
        #expect(MetadataValidator().problems(metadata: metadata, object: Self.tracer, wasm: wasm).isEmpty)
        #expect(MetadataValidator().problems(metadata: try Self.metadata(["decodde"]), object: Self.tracer, wasm: wasm)
                == ["datasources.open.fields.decodde: data source 'open' has no field 'decodde'; did you mean 'decoded'?"])
        // A prebuilt module may add anything: no field is rejected.
        #expect(MetadataValidator().problems(metadata: try Self.metadata(["decodde"]), object: Self.tracer, wasm: .unknown).isEmpty)
    }
}
