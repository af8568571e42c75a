import Foundation
import Testing
import Yams
@testable import GadgetBuild

/// The text rules of descriptions from C comments, and how `--update-metadata` uses them (no libclang:
/// comments given as values; `MetadataDescriptionsTests` reads real ones).
@Suite struct SourceCommentsTests {
    @Test func commentMarkersAreStrippedAndLinesJoined() {
        #expect(SourceComments.clean("// Process ID") == "Process ID")
        #expect(SourceComments.clean("/// When the event happened") == "When the event happened")
        #expect(SourceComments.clean("///< trailing doc") == "trailing doc")
        #expect(SourceComments.clean("//! Qt style") == "Qt style")
        #expect(SourceComments.clean("/* How many times */") == "How many times")
        #expect(SourceComments.clean("/**< after the member */") == "after the member")
        #expect(SourceComments.clean("// first line,\n  // second line") == "first line, second line")
        #expect(SourceComments.clean("/**\n * A block\n *   over lines\n **/") == "A block over lines")
        #expect(SourceComments.clean("/*\n\tno stars\n\there */") == "no stars here")
        #expect(SourceComments.clean("//   spaced\t out   ") == "spaced out")
        // Nothing but markers: no description (the placeholder then).
        #expect(SourceComments.clean("//") == nil)
        #expect(SourceComments.clean("/** */") == nil)
        #expect(SourceComments.clean("/*\n *\n */") == nil)
        // A section heading between rules is no description; what follows it is.
        #expect(SourceComments.clean("// ---- params ----") == nil)
        #expect(SourceComments.clean("// ---- GPU idle (optional) ----\n// With --gpu-idle-only, idle only") == "With --gpu-idle-only, idle only")
        #expect(SourceComments.clean("/* Counters\n * ========== */") == "Counters")
        // A `*` inside the text stays.
        #expect(SourceComments.clean("// 2 * PAGE_SIZE bytes") == "2 * PAGE_SIZE bytes")
    }

    @Test func aMacrosCommentIsFoundBesideOrAboveIt() {
        let lines = """
            GADGET_TRACER_MAP(events, 1024);
            // Calls to open(2),
            // one per call
            GADGET_TRACER(open, events, event);
            GADGET_TRACER(exec, events, event); // Programs run
            /*
             * Iterated tasks
             */
            GADGET_ITER(tasks, task, dump);
            int x; // belongs to x
            GADGET_MAPITER(stats, counts);
            x = 1; /* comment */ y = 2;
            GADGET_PARAM(y);
            """.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(SourceComments.comment(atLine: 4, of: lines) == "Calls to open(2), one per call")
        #expect(SourceComments.comment(atLine: 5, of: lines) == "Programs run")
        #expect(SourceComments.comment(atLine: 9, of: lines) == "Iterated tasks")
        #expect(SourceComments.comment(atLine: 1, of: lines) == nil)
        // A comment after another line's code is that line's, not the next declaration's.
        #expect(SourceComments.comment(atLine: 11, of: lines) == nil)
        // A block comment that ends on a line of code is no comment above.
        #expect(SourceComments.comment(atLine: 13, of: lines) == nil)
        #expect(SourceComments.comment(atLine: 99, of: lines) == nil)
    }

    @Test func mergingKeepsTheFirstSourcesText() {
        var comments = SourceComments(members: ["event": ["pid": "first"]], variables: ["targ_pid": "first"])
        comments.merge(SourceComments(members: ["event": ["pid": "second", "tid": "second"]], variables: ["targ_pid": "second", "quiet": "second"]))
        #expect(comments.members["event"] == ["pid": "first", "tid": "second"])
        #expect(comments.variables == ["targ_pid": "first", "quiet": "second"])
    }

    static let comments = SourceComments(
        members: ["event": ["timestamp_raw": "When it happened", "proc": "The process", "proc.comm": "Its name",
                            "flags_raw": "Open flags", "fd": "File descriptor"]],
        variables: ["gadget_tracer_open___events___event": "Calls to open(2)", "targ_failed": "Only failed calls"])

    static var object: BPFObjectSummary {
        var object = IGDerivedFieldsTests.tracer
        object.variables += [.init(name: "targ_failed", section: ".rodata", isConstVolatile: true, typeName: "bool"),
                             .init(name: "targ_pid", section: ".rodata", isConstVolatile: true, typeName: "pid_t"),
                             .init(name: "gadget_param_targ_failed", section: ".bss", isConstVolatile: false, typeName: "const void *"),
                             .init(name: "gadget_param_targ_pid", section: ".bss", isConstVolatile: false, typeName: "const void *")]
        return object
    }

    static func description(_ root: Node.Mapping, _ field: String) -> String? {
        root["datasources"]?.mapping?["open"]?.mapping?["fields"]?.mapping?[field]?.mapping?["annotations"]?.mapping?["description"]?.string
    }

    @Test func commentsDescribeMembersWhatFormattersMakeOfThemParamsAndTheDataSource() throws {
        let updater = MetadataUpdater(descriptions: CommentDescriptions(comments: Self.comments, object: Self.object))
        let root = try MetadataUpdaterTests.yaml(try updater.update(nil, object: Self.object).bytes)
        #expect(Self.description(root, "timestamp_raw") == "When it happened")
        #expect(Self.description(root, "timestamp") == "When it happened")
        #expect(Self.description(root, "flags") == "Open flags")
        #expect(Self.description(root, "proc.comm") == "Its name")
        #expect(Self.description(root, "fd") == "File descriptor")
        // Fields of other meanings (the user name of a uid, the enrichment) keep the placeholder.
        #expect(Self.description(root, "proc.creds.user") == "TODO: Fill field description")
        #expect(Self.description(root, "k8s.podName") == "TODO: Fill field description")
        let open = try #require(root["datasources"]?.mapping?["open"]?.mapping)
        #expect(open.keys.compactMap(\.string) == ["annotations", "fields"])
        #expect(open["annotations"]?.mapping?["description"]?.string == "Calls to open(2)")
        let params = try #require(root["params"]?.mapping?["ebpf"]?.mapping)
        #expect(params["targ_failed"]?.mapping?["description"]?.string == "Only failed calls")
        #expect(params["targ_pid"]?.mapping?["description"]?.string == "TODO: Fill parameter description")
    }

    @Test func aMaintainersTextIsNeverReplacedAndADescriptionIsAddedOnce() throws {
        let existing = """
            name: open
            datasources:
              open:
                annotations:
                  description: Maintainer's data source text
                fields:
                  fd:
                    annotations:
                      description: Maintainer's field text
            params:
              ebpf:
                targ_failed:
                  key: failed
                  description: Maintainer's param text

            """
        let updater = MetadataUpdater(descriptions: CommentDescriptions(comments: Self.comments, object: Self.object))
        let result = try updater.update(Data(existing.utf8), object: Self.object)
        let root = try MetadataUpdaterTests.yaml(result.bytes)
        #expect(Self.description(root, "fd") == "Maintainer's field text")
        #expect(Self.description(root, "flags_raw") == "Open flags")
        #expect(root["datasources"]?.mapping?["open"]?.mapping?["annotations"]?.mapping?["description"]?.string == "Maintainer's data source text")
        #expect(root["params"]?.mapping?["ebpf"]?.mapping?["targ_failed"]?.mapping?["description"]?.string == "Maintainer's param text")
        #expect(root["params"]?.mapping?["ebpf"]?.mapping?["targ_failed"]?.mapping?["key"]?.string == "failed")

        // A data source the maintainer listed without a description gets the marker's, once.
        let bare = "datasources:\n  open:\n    fields:\n      fd:\n        annotations:\n          description: mine\n"
        let first = try updater.update(Data(bare.utf8), object: Self.object)
        #expect(first.added.contains("description of datasource open"), "\(first.added)")
        let described = try MetadataUpdaterTests.yaml(first.bytes)
        #expect(described["datasources"]?.mapping?["open"]?.mapping?.keys.compactMap(\.string) == ["annotations", "fields"])
        #expect(try updater.update(first.bytes, object: Self.object).changed == false)
    }

    @Test func aWasmModulesTableOfFieldNamesIsRead() {
        let go = WasmDeclaredFields.parse("""
            dsOutput, err = api.NewDataSource("traceloop", api.DataSourceTypeSingle)
            fieldsInfo := []struct {
                name  string
                field *api.Field
            }{
                {name: "mntns_id", field: &fields.mntnsID},
                {
                    name:  "syscall",
                    field: &fields.syscall,
                },
            }
            for _, fieldInfo := range fieldsInfo {
                name := fieldInfo.name
                *fieldInfo.field, err = dsOutput.AddField(name, fieldInfo.kind)
            }
            """)
        #expect(go.fields["traceloop"] == ["mntns_id", "syscall"])
        // Other names may come through the same call: validation stays open for this data source.
        #expect(go.openDataSources.contains("traceloop"))
    }
}
