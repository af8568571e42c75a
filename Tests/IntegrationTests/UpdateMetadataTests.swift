import Foundation
import Testing
import Yams
@testable import GadgetBuild

/// `gadgetc build --update-metadata` through the real binary, clang and libbpf: a gadget without
/// gadget.yaml gets one made from its object's markers, the image carries it, and a second run
/// leaves it alone.
@Suite struct UpdateMetadataTests {
    @Test func createsGadgetYAMLFromTheObjectAndLeavesItAloneAfterwards() async throws {
        let work = try Fixtures.temporaryDirectory("update-metadata")
        defer { try? FileManager.default.removeItem(at: work) }
        let gadget = work.appendingPathComponent("trace_exec")
        try FileManager.default.copyItem(at: Fixtures.samples.appendingPathComponent("trace_exec"), to: gadget)
        let file = gadget.appendingPathComponent("gadget.yaml")
        try FileManager.default.removeItem(at: file)
        let layout = work.appendingPathComponent("layout")
        let environment = ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path]
        let argv = [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--oci-layout", layout.path]

        // A plain build first: its build record must not let the next run skip the update.
        let plain = try await Fixtures.run(argv, environment: environment)
        #expect(plain.succeeded, "plain build: \(plain.standardError)")
        #expect(!FileManager.default.fileExists(atPath: file.path))

        let first = try await Fixtures.run(argv + ["--update-metadata"], environment: environment)
        #expect(first.succeeded, "first --update-metadata: \(first.standardError)")
        #expect(first.standardError.contains("created gadget.yaml, added name"), "note: \(first.standardError)")
        let created = try Data(contentsOf: file)
        let root = try #require(try Yams.compose(yaml: String(decoding: created, as: UTF8.self))?.mapping)
        #expect(root["name"]?.string == "TODO: Fill the gadget name")
        let fields = try #require(root["datasources"]?.mapping?["exec"]?.mapping?["fields"]?.mapping)
        // The struct's members, each followed by what ig's operators derive from it, then the
        // enrichment the mount namespace member brings.
        #expect(fields.keys.compactMap(\.string) == [
            "timestamp_raw", "timestamp", "mntns_id", "comm", "pid", "tid", "ppid", "uid", "user", "gid", "group", "old_pid", "filename",
            "k8s.node", "k8s.namespace", "k8s.podName", "k8s.containerName", "k8s.hostnetwork", "k8s.podLabels", "k8s.owner.kind",
            "k8s.owner.name", "runtime.containerName", "runtime.runtimeName", "runtime.containerId", "runtime.containerPid",
            "runtime.containerImageName", "runtime.containerImageDigest", "runtime.containerStartedAt"])
        #expect(fields["pid"]?.mapping?["annotations"]?.mapping?["description"]?.string == "TODO: Fill field description")
        let params = try #require(root["params"]?.mapping?["ebpf"]?.mapping)
        #expect(params.keys.compactMap(\.string) == ["targ_pid", "targ_tid", "targ_uid", "targ_gid", "targ_comm"])
        #expect(params["targ_pid"]?.mapping?["key"]?.string == "targ_pid")
        #expect(params["targ_pid"]?.mapping?["description"]?.string == "TODO: Fill parameter description")

        // The image's config blob is the file that was written.
        #expect(try Self.configBlob(layout: layout, image: "ghcr.io/inspektor-gadget/gadget/trace_exec:latest") == created)

        let second = try await Fixtures.run(argv + ["--update-metadata"], environment: environment)
        #expect(second.succeeded, "second --update-metadata: \(second.standardError)")
        #expect(try Data(contentsOf: file) == created)
        #expect(!second.standardError.contains("created gadget.yaml") && !second.standardError.contains("updated gadget.yaml"))
    }

    /// A gadget of our own with a member of every kind ig's operators derive fields from, and an
    /// iterator over a map's elements: the real compile's BTF gives the names ig shows, a maintainer's
    /// text and unknown keys stay, and validation rejects a misspelled field with its path.
    @Test func derivesTheFieldsUsersSeeFromARealObject() async throws {
        let work = try Fixtures.temporaryDirectory("update-metadata-derived")
        defer { try? FileManager.default.removeItem(at: work) }
        let gadget = work.appendingPathComponent("derived_fields")
        try FileManager.default.copyItem(at: Fixtures.testdata.appendingPathComponent("derived_fields"), to: gadget)
        let file = gadget.appendingPathComponent("gadget.yaml")
        try Data("""
            name: derived fields
            operator:
              kept: true
            datasources:
              open:
                fields:
                  flags:
                    annotations:
                      description: Flags as open(2) names them
            """.utf8).write(to: file)
        let environment = ["GADGETC_CACHE_DIR": work.appendingPathComponent("cache").path]
        let argv = [Fixtures.gadgetc, "build", gadget.path, "-I", Fixtures.bundledHeaders, "--arch", "amd64",
                    "--oci-layout", work.appendingPathComponent("layout").path]

        let run = try await Fixtures.run(argv + ["--update-metadata"], environment: environment)
        #expect(run.succeeded, "--update-metadata: \(run.standardError)")
        let root = try #require(try Yams.compose(yaml: String(decoding: try Data(contentsOf: file), as: UTF8.self))?.mapping)
        #expect(root["operator"]?.mapping?["kept"]?.string == "true")
        let open = try #require(root["datasources"]?.mapping?["open"]?.mapping?["fields"]?.mapping)
        let names = open.keys.compactMap(\.string)
        for expected in ["timestamp", "proc.comm", "proc.parent.tid", "proc.creds.user", "error", "flags_raw", "mode", "sig",
                         "syscall", "size", "latency", "kstack", "kind", "dst.addr", "dst.proto", "dst.endpoint", "dst.k8s.name",
                         "ustack.symbols", "k8s.podName", "runtime.containerName", "fname"] {
            #expect(names.contains(expected), "\(expected) in \(names)")
        }
        #expect(!names.contains("__reserved"))
        #expect(names.firstIndex(of: "flags_raw")! < names.firstIndex(of: "flags")!)
        #expect(open["flags"]?.mapping?["annotations"]?.mapping?["description"]?.string == "Flags as open(2) names them")
        let counters = try #require(root["datasources"]?.mapping?["counters"]?.mapping?["fields"]?.mapping)
        #expect(counters.keys.compactMap(\.string) == ["id", "total_raw", "total"])

        // A misspelled derived field fails validation, naming where it is and what was meant.
        var text = String(decoding: try Data(contentsOf: file), as: UTF8.self)
        text = text.replacingOccurrences(of: "      sig:\n", with: "      sgi:\n")
        try Data(text.utf8).write(to: file)
        let check = try await Fixtures.run(argv, environment: environment)
        #expect(!check.succeeded)
        #expect(check.standardError.contains("datasources.open.fields.sgi: data source 'open' has no field 'sgi'; did you mean 'sig'?"),
                "\(check.standardError)")
    }

    /// The config blob of the amd64 manifest of `image` in an OCI layout.
    static func configBlob(layout: URL, image: String) throws -> Data {
        func json(_ url: URL) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        }
        func blob(_ digest: String) -> URL {
            layout.appendingPathComponent("blobs/sha256/\(digest.replacingOccurrences(of: "sha256:", with: ""))")
        }
        let top = try json(layout.appendingPathComponent("index.json"))
        let entry = try #require((top["manifests"] as? [[String: Any]])?.first {
            ($0["annotations"] as? [String: String])?["org.opencontainers.image.ref.name"] == image
        })
        let index = try json(blob(try #require(entry["digest"] as? String)))
        let amd64 = try #require((index["manifests"] as? [[String: Any]])?.first {
            ($0["platform"] as? [String: Any])?["architecture"] as? String == "amd64"
        })
        let manifest = try json(blob(try #require(amd64["digest"] as? String)))
        let config = try #require(manifest["config"] as? [String: Any])
        #expect(config["mediaType"] as? String == "application/vnd.gadget.config.v1+yaml")
        return try Data(contentsOf: blob(try #require(config["digest"] as? String)))
    }
}
