import ArgumentParser
import Foundation
import GadgetBuild

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what an eBPF object or a gadget image holds.",
        discussion: """
        OBJECT is a .bpf.o file; IMAGE is a name in ig's store (NAME[:TAG] as 'ig image list' shows it; \
        short names mean ghcr.io/inspektor-gadget/gadget/NAME) or in the OCI layout --oci-layout names. \
        An existing file is taken as an object. Per arch: programs (name, section, type, instructions), \
        maps (type, key and value size, max entries), gadget markers and what they resolve to, params, \
        data sources, the number of BTF types and CO-RE relocations; for an image also its index, \
        manifests, layers and annotations. Nothing is loaded into the kernel. Every blob read is checked \
        against its digest.
        """
    )

    @Argument(help: ArgumentHelp("A .bpf.o file, or an image name.", valueName: "object|image"))
    var target: String

    @Option(help: ArgumentHelp("Read the image from this OCI image layout instead of ig's store.", valueName: "dir"))
    var ociLayout: String?

    @Option(help: ArgumentHelp("The same as --oci-layout.", valueName: "dir"))
    var store: String?

    @Option(help: ArgumentHelp("Only these architectures of an image, comma separated.", valueName: "list"))
    var arch: String?

    @Flag(help: "Print one JSON document on standard output instead of text.")
    var json = false

    func validate() throws {
        if ociLayout != nil && store != nil { throw ValidationError("--oci-layout and --store both name the layout; pick one") }
        if let arch { do { _ = try Architecture.parseList(arch) } catch { throw ValidationError("\(error)") } }
    }

    func run() throws {
        do {
            if let object = try objectFile() {
                // An object is built for one arch, which it does not record: --arch would pick nothing.
                if arch != nil { throw InspectError("--arch picks an image's manifests; \(Terminal.quote(target)) is an object file, built for one arch") }
                let inspection = try ObjectInspector.inspect(object)
                print(json ? try JSONOutput.encode(ObjectDocument(object: object.path, inspection: inspection))
                           : InspectText.render(inspection, title: object.path))
            } else {
                let reference = try ImageReference(parsing: target)
                let layout = ImageTarget.store(layout: ociLayout ?? store)
                let inspection = try ImageInspector.inspect(reference, store: layout, architectures: try arch.map(Architecture.parseList))
                print(json ? try JSONOutput.encode(inspection) : InspectText.render(inspection))
            }
        } catch {
            Terminal.error(error)
            throw ExitCode.failure
        }
    }

    /// The target as an object file, when it names one; nil when it is to be read as an image name.
    func objectFile() throws -> URL? {
        var info = stat()
        guard stat(target, &info) == 0 else {
            // No such file: an image name, unless it can only be a path.
            if ImageTarget.isOnlyAPath(target) {
                throw InspectError("no such file \(Terminal.quote(target)); name a .bpf.o file, or an image (NAME[:TAG]) in ig's store or --oci-layout DIR")
            }
            return nil
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            throw InspectError("\(Terminal.quote(target)) is a folder; inspect takes a .bpf.o file or an image: run 'gadgetc build \(Terminal.quote(target))' and inspect the image it names (or build with -o DIR and inspect DIR/<arch>.bpf.o)")
        }
        return URL(fileURLWithPath: target).standardizedFileURL
    }
}

struct InspectError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `inspect OBJECT --json`: the object's path beside what it holds.
struct ObjectDocument: Encodable {
    var object: String
    var inspection: ObjectInspection

    func encode(to encoder: Encoder) throws {
        try inspection.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(object, forKey: .object)
    }

    enum Key: String, CodingKey { case object }
}

/// The text form of `inspect`, laid out as bpftool and skopeo lay theirs out: one line per item.
enum InspectText {
    static func render(_ image: ImageInspection) -> String {
        var lines = ["image:   \(image.image.reference)",
                     "digest:  \(image.image.digest)  \(image.image.mediaType)",
                     "store:   \(image.store)"]
        if let name = image.gadgetName { lines.append("gadget:  \(name)" + (image.gadgetDescription.map { ": \($0)" } ?? "")) }
        lines += annotations(image.image.annotations, indent: "")
        for entry in image.architectures {
            let manifest = entry.manifest
            lines.append("")
            lines.append("\(manifest.architecture)\(manifest.os.map { "/\($0)" } ?? ""): manifest \(manifest.digest)  \(manifest.size) B"
                         + (manifest.artifactType.map { "  artifactType \($0)" } ?? ""))
            // ig writes the same annotations on the index and each manifest: shown once unless they differ.
            if manifest.annotations != nil && manifest.annotations == image.image.annotations {
                lines.append("  annotations: as the index's")
            } else {
                lines += annotations(manifest.annotations, indent: "  ")
            }
            if let config = manifest.config { lines.append("  config  \(config.digest)  \(config.size) B  \(config.mediaType)") }
            for layer in manifest.layers {
                lines.append("  layer   \(layer.digest)  \(layer.size) B  \(layer.mediaType)"
                             + (layer.annotations?[OCIAnnotation.title].map { "  (\($0))" } ?? ""))
            }
            if let object = entry.object { lines += body(object, indent: "  ") }
        }
        return lines.joined(separator: "\n")
    }

    static func render(_ object: ObjectInspection, title: String) -> String {
        (["object: \(title)"] + body(object, indent: "")).joined(separator: "\n")
    }

    static func body(_ object: ObjectInspection, indent: String) -> [String] {
        var lines = ["\(indent)eBPF object: \(object.size) B  sha256:\(object.sha256)",
                     "\(indent)BTF: \(object.btfTypeCount.map { "\($0) types" } ?? "none")  CO-RE relocations: \(object.coreRelocationCount.map(String.init) ?? "unknown")"]
        lines.append("\(indent)programs (\(object.programs.count)):")
        lines += table(object.programs.map { program in
            [program.name, program.section, program.type, program.attachType.map { "attach \($0)" } ?? "", "\(program.instructionCount) insns",
             program.autoload ? "" : "not autoloaded"]
        }, indent: indent + "  ")
        lines.append("\(indent)maps (\(object.maps.count)):")
        lines += table(object.maps.map { map in
            [map.name, map.type, "key \(map.keySize)B", "value \(map.valueSize)B", "max_entries \(map.maxEntries)", map.isInternal ? "internal" : ""]
        }, indent: indent + "  ")
        lines.append("\(indent)gadget markers (\(object.markers.count)):")
        for marker in object.markers {
            lines.append("\(indent)  \(marker.kind) \(marker.name)  (\(marker.variable))")
            lines += marker.resolvesTo.map { "\(indent)    -> \($0)" }
            lines += marker.problems.map { "\(indent)    problem: \($0)" }
        }
        if !object.params.isEmpty {
            lines.append("\(indent)params (\(object.params.count)):")
            for param in object.params {
                let type = param.type.map { "\(param.isConstVolatile ? "const volatile " : "")\($0)" + (param.section.map { " in \($0)" } ?? "") } ?? "no such variable"
                let key = param.key.map { $0.isEmpty ? "gadget.yaml: no key" : "key \($0)" } ?? "not in gadget.yaml"
                lines.append("\(indent)  \(param.variable): \(type); \(key)\(param.hasMarker ? "" : "; no gadget_param_ marker")")
            }
        }
        if !object.dataSources.isEmpty {
            lines.append("\(indent)data sources (\(object.dataSources.count)):")
            for source in object.dataSources {
                lines.append("\(indent)  \(source.name) (\(source.kind) of \(source.structs.joined(separator: ", "))): \(source.fields.joined(separator: ", "))")
            }
        }
        return lines
    }

    static func annotations(_ values: [String: String]?, indent: String) -> [String] {
        guard let values, !values.isEmpty else { return [] }
        return ["\(indent)annotations:"] + values.sorted { $0.key < $1.key }.map { "\(indent)  \($0.key): \(Terminal.escape($0.value))" }
    }

    /// Rows as aligned columns (empty trailing cells dropped).
    static func table(_ rows: [[String]], indent: String) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in rows.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            let cells = row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }
            return indent + cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
    }
}
