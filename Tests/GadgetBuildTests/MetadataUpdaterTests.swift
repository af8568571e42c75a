import Foundation
import Testing
import Yams
@testable import GadgetBuild

/// `--update-metadata`'s edit of gadget.yaml, on hand-made object summaries (no clang, no libbpf).
@Suite struct MetadataUpdaterTests {
    typealias Summary = BPFObjectSummary

    static func variable(_ name: String, constVolatile: Bool = false, type: String = "const void *", section: String = ".bss") -> Summary.Variable {
        .init(name: name, section: constVolatile ? ".rodata" : section, isConstVolatile: constVolatile, typeName: type)
    }

    static func structure(_ name: String, _ members: [String]) -> Summary.Structure {
        .init(name: name, kind: "struct", size: 8 * members.count,
              members: members.enumerated().map { .init(name: $1, typeName: "__u64", bitOffset: 64 * $0) })
    }

    static func map(_ name: String, _ type: String) -> Summary.Map {
        .init(name: name, type: type, keySize: 8, valueSize: 8, maxEntries: 1024, isInternal: false)
    }

    /// A tracer `exec` on ring buffer `events` of `struct event {pid, comm, uid}` with params targ_pid and targ_uid.
    static let tracer = Summary(
        hasBTF: true, programs: [.init(name: "handle", section: "tp/sched/sched_process_exec", type: "tracepoint", attachType: nil, instructionCount: 10, autoload: true)],
        maps: [map("events", "ringbuf")],
        variables: [variable("targ_pid", constVolatile: true, type: "pid_t"), variable("targ_uid", constVolatile: true, type: "uid_t"),
                    variable("gadget_tracer_exec___events___event"), variable("gadget_param_targ_pid"), variable("gadget_param_targ_uid")],
        structures: [structure("event", ["pid", "comm", "uid"])])

    static func yaml(_ data: Data) throws -> Node.Mapping {
        try #require(try Yams.compose(yaml: String(decoding: data, as: UTF8.self))?.mapping)
    }

    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    @Test func addsTracerDataSourceWithFields() throws {
        let result = try MetadataUpdater().update(nil, object: Self.tracer)
        let root = try Self.yaml(result.bytes)
        let fields = try #require(root["datasources"]?.mapping?["exec"]?.mapping?["fields"]?.mapping)
        #expect(fields.keys.compactMap(\.string) == ["pid", "comm", "uid"])
        for field in ["pid", "comm", "uid"] {
            #expect(fields[field]?.mapping?["annotations"]?.mapping?["description"]?.string == "TODO: Fill field description")
        }
        #expect(result.added.contains("datasource exec (3 fields)"))
        // What was written validates against the object.
        #expect(MetadataValidator().problems(metadata: try GadgetMetadata(bytes: result.bytes, origin: "gadget.yaml"), object: Self.tracer).isEmpty)
    }

    @Test func addsParamsWithTODO() throws {
        var object = Self.tracer
        // A marker for a variable that is not const volatile is not a param: left to validation.
        object.variables += [Self.variable("plain", type: "int"), Self.variable("gadget_param_plain")]
        let result = try MetadataUpdater().update(nil, object: object)
        let ebpf = try #require(try Self.yaml(result.bytes)["params"]?.mapping?["ebpf"]?.mapping)
        #expect(ebpf.keys.compactMap(\.string) == ["targ_pid", "targ_uid"])
        #expect(ebpf["targ_pid"]?.mapping?["key"]?.string == "targ_pid")
        #expect(ebpf["targ_pid"]?.mapping?["description"]?.string == "TODO: Fill parameter description")
        #expect(result.added.contains("params.ebpf targ_pid, targ_uid"))
        #expect(result.skipped == ["param marker gadget_param_plain"])
    }

    @Test func createsAFreshFileInIgsKeyOrder() throws {
        let result = try MetadataUpdater().update(nil, object: Self.tracer)
        #expect(result.created && result.changed)
        let root = try Self.yaml(result.bytes)
        #expect(root.keys.compactMap(\.string) == ["name", "description", "homepageURL", "documentationURL", "sourceURL", "datasources", "params"])
        #expect(root["name"]?.string == "TODO: Fill the gadget name")
        #expect(root["sourceURL"]?.string == "TODO: Fill the gadget source code URL")
        // An empty file counts as none.
        #expect(try MetadataUpdater().update(Data(), object: Self.tracer).bytes == result.bytes)
    }

    @Test func keepsExistingValuesAndUnknownKeys() throws {
        let original = """
            name: trace exec
            operator:
              oci:
                verify: false
            description: Mine
            datasources:
              exec:
                annotations:
                  cli.clear-screen-before: "true"
                fields:
                  uid:
                    annotations:
                      description: User ID
                      columns.hidden: "true"
            params:
              ebpf:
                targ_pid:
                  key: pid
                  defaultValue: "0"
                  description: Only this PID
              other:
                x:
                  key: y

            """
        let result = try MetadataUpdater().update(Data(original.utf8), object: Self.tracer)
        #expect(!result.created)
        let root = try Self.yaml(result.bytes)
        // The user's keys stay in the user's order; ig's missing ones go where ig's model puts them.
        #expect(root.keys.compactMap(\.string) == ["name", "operator", "description", "homepageURL", "documentationURL", "sourceURL", "datasources", "params"])
        #expect(root["name"]?.string == "trace exec")
        #expect(root["description"]?.string == "Mine")
        #expect(root["operator"]?.mapping?["oci"]?.mapping?["verify"]?.bool == false)
        let exec = try #require(root["datasources"]?.mapping?["exec"]?.mapping)
        #expect(exec["annotations"]?.mapping?["cli.clear-screen-before"]?.string == "true")
        let fields = try #require(exec["fields"]?.mapping)
        // New fields go where ig's order puts them among the user's (here: before `uid`).
        #expect(fields.keys.compactMap(\.string) == ["pid", "comm", "uid"])
        #expect(fields["uid"]?.mapping?["annotations"]?.mapping?["description"]?.string == "User ID")
        #expect(fields["uid"]?.mapping?["annotations"]?.mapping?["columns.hidden"]?.string == "true")
        let params = try #require(root["params"]?.mapping)
        #expect(params["ebpf"]?.mapping?["targ_pid"]?.mapping?["key"]?.string == "pid")
        #expect(params["ebpf"]?.mapping?["targ_pid"]?.mapping?["defaultValue"]?.string == "0")
        #expect(params["ebpf"]?.mapping?["targ_uid"]?.mapping?["key"]?.string == "targ_uid")
        #expect(params["other"]?.mapping?["x"]?.mapping?["key"]?.string == "y")
        #expect(result.added == ["homepageURL", "documentationURL", "sourceURL", "field exec.pid, field exec.comm", "params.ebpf targ_uid"])
        // Quoted strings stay strings (not booleans) in the written text.
        #expect(Self.text(result.bytes).contains("cli.clear-screen-before: \"true\""))
    }

    @Test func secondRunChangesNothing() throws {
        let first = try MetadataUpdater().update(nil, object: Self.tracer)
        let second = try MetadataUpdater().update(first.bytes, object: Self.tracer)
        #expect(!second.changed && second.added.isEmpty)
        #expect(second.bytes == first.bytes)
    }

    @Test func completeFileIsReturnedByteForByte() throws {
        // Comments and formatting survive when nothing is missing: the bytes are not re-serialized.
        let original = Data("""
            # my gadget
            name: x   # trailing
            description: d
            homepageURL: h
            documentationURL: dd
            sourceURL: s
            datasources: {exec: {fields: {pid: {}, comm: {}, uid: {}}}}
            params: {ebpf: {targ_pid: {key: pid}, targ_uid: {key: uid}}}

            """.utf8)
        let result = try MetadataUpdater().update(original, object: Self.tracer)
        #expect(!result.changed)
        #expect(result.bytes == original)
    }

    @Test func mapIteratorGetsKeyAndValueFields() throws {
        var counts = Self.map("counts", "hash")
        counts.keyStruct = "key_t"
        counts.valueStruct = "stats_t"
        let object = Summary(
            hasBTF: true, programs: [], maps: [counts],
            variables: [Self.variable("gadget_mapiter_syscalls___counts")],
            structures: [Self.structure("key_t", ["pid", "nr"]), Self.structure("stats_t", ["calls", "failures"])])
        let result = try MetadataUpdater().update(Data("name: top\n".utf8), object: object)
        let fields = try #require(try Self.yaml(result.bytes)["datasources"]?.mapping?["syscalls"]?.mapping?["fields"]?.mapping)
        #expect(fields.keys.compactMap(\.string) == ["pid", "nr", "calls", "failures"])
        // Without the map's BTF types the marker is left to validation.
        let blind = try MetadataUpdater().update(Data("name: top\n".utf8), object: Summary(
            hasBTF: true, programs: [], maps: [Self.map("counts", "hash")], variables: object.variables, structures: object.structures))
        #expect(blind.skipped == ["map iterator marker gadget_mapiter_syscalls___counts"])
    }

    @Test func snapshotterDataSource() throws {
        var object = Summary(
            hasBTF: true, programs: [.init(name: "snapshot_tasks", section: "iter/task", type: "tracing", attachType: "trace_iter", instructionCount: 20, autoload: true)],
            maps: [], variables: [Self.variable("gadget_snapshotter_processes___process_entry___snapshot_tasks")],
            structures: [Self.structure("process_entry", ["pid", "comm"])])
        let result = try MetadataUpdater().update(nil, object: object)
        let fields = try #require(try Self.yaml(result.bytes)["datasources"]?.mapping?["processes"]?.mapping?["fields"]?.mapping)
        #expect(fields.keys.compactMap(\.string) == ["pid", "comm"])
        // ig makes no data source when a named program is missing or is no iterator.
        object.programs = []
        #expect(try MetadataUpdater().update(nil, object: object).skipped
                == ["iterator marker gadget_snapshotter_processes___process_entry___snapshot_tasks"])
    }

    @Test func nullValuesAreFilledAndOtherShapesLeftAlone() throws {
        let result = try MetadataUpdater().update(Data("name:\ndatasources:\nparams: [not, a, mapping]\n".utf8), object: Self.tracer)
        let root = try Self.yaml(result.bytes)
        #expect(root["name"]?.string == "TODO: Fill the gadget name")
        #expect(root["datasources"]?.mapping?["exec"] != nil)
        #expect(root["params"]?.sequence?.count == 3)
        #expect(result.skipped == ["params (not a mapping)"])
    }

    @Test func rejectsANonMappingDocument() {
        #expect(throws: MetadataError.self) { try MetadataUpdater().update(Data("- a\n- b\n".utf8), object: Self.tracer) }
    }
}
