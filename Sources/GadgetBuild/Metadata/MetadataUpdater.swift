import Foundation
import Yams

/// `--update-metadata`: makes gadget.yaml describe what the built object holds, the way
/// `ig image build --update-metadata` does, but only ever adding.
///
/// From the object's BTF markers it adds, when missing:
/// - a data source per `gadget_tracer_<name>___<map>___<struct>`, `gadget_snapshotter_<name>___<struct>___…`,
///   `gadget_mapiter_<name>___<map>` (key and value structs of the map) and `gadget_topper_<name>___<map>`
///   (value struct), with one field per struct member, each `annotations: {description: …}`: the
///   text `descriptions` has for it (the C comment on the member), else ig's "TODO: …" placeholder;
///   and the data source's own `annotations.description` when `descriptions` has one (its marker's comment);
/// - a `params.ebpf.<var>` entry per `gadget_param_<var>` (for a global `const volatile` var) with
///   `key: <var>` and a description (the variable's comment, else a TODO placeholder);
/// - TODO placeholders for `name`, `description`, `homepageURL`, `documentationURL`, `sourceURL`.
///
/// Unlike ig, which decodes the file into its model and writes the model back, this edits the YAML
/// node tree: every key and value the user wrote stays, unknown keys included (ig drops them, e.g.
/// `operator:`), in the user's order; new keys go where ig's model would put them. Comments are not
/// kept when the file changes (Yams' node tree has none); an unchanged file is never rewritten.
public struct MetadataUpdater: Sendable {
    public struct Result: Equatable, Sendable {
        /// The new file (the original bytes when nothing was added).
        public var bytes: Data
        /// What was added, one short item each ("datasource exec (10 fields)", "params.ebpf targ_pid", …).
        public var added: [String]
        /// Markers that were left alone because the object does not back them; validation reports them.
        public var skipped: [String]
        /// Whether there was no file (or an empty one) before.
        public var created: Bool
        public var changed: Bool { !added.isEmpty }
    }

    static let fieldDescription = "TODO: Fill field description"
    static let paramDescription = "TODO: Fill parameter description"
    /// Top-level keys in the order of ig's metadata model, with the placeholder for the scalar ones.
    static let topLevel: [(key: String, placeholder: String?)] = [
        ("name", "TODO: Fill the gadget name"),
        ("description", "TODO: Fill the gadget description"),
        ("homepageURL", "TODO: Fill the gadget homepage URL"),
        ("documentationURL", "TODO: Fill the gadget documentation URL"),
        ("sourceURL", "TODO: Fill the gadget source code URL"),
        ("annotations", nil), ("datasources", nil), ("params", nil), ("gadgetParams", nil),
    ]

    /// Where new fields' descriptions come from (the placeholder unless a source knows better).
    public var descriptions: any FieldDescriptionSource

    public init(descriptions: any FieldDescriptionSource = PlaceholderDescriptions()) {
        self.descriptions = descriptions
    }

    /// The updated file for `existing` (nil: there is none) against `object`; `wasm` is what the gadget's
    /// wasm module adds, read from its source.
    public func update(_ existing: Data?, object: BPFObjectSummary, wasm: WasmDeclaredFields? = nil,
                       origin: String = "gadget.yaml") throws -> Result {
        var root = Node.Mapping([])
        var created = true
        if let existing, !existing.isEmpty {
            guard let text = String(data: existing, encoding: .utf8) else {
                throw MetadataError.invalidYAML(file: origin, reason: "not UTF-8 text")
            }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch {
                throw MetadataError.invalidYAML(file: origin, reason: MetadataError.describe(yamlError: error))
            }
            if let node {
                guard let mapping = node.mapping else { throw MetadataError.notAMapping(file: origin) }
                root = mapping
                created = false
            }
        }

        var added: [String] = []
        var skipped: [String] = []
        for (key, placeholder) in Self.topLevel {
            guard let placeholder, Self.isMissing(root[key]) else { continue }
            Self.set(&root, key, Node(placeholder), order: Self.topLevel.map(\.key))
            added.append(key)
        }

        // Data sources, in marker (BTF) order, then those the wasm module makes; each with the fields
        // ig's operators give it at run time (IGDerivedFields), and the ones the wasm module adds.
        let markers = MarkerDataSource.all(in: object)
        skipped += markers.unusable
        let metadata = try? GadgetMetadata(bytes: existing ?? Data(), origin: origin)
        var sources: [(name: String, fields: [DataSourceField])] = markers.sources.map { source in
            var fields = source.fields(in: object, metadata: metadata?.dataSourceEntries[source.name])
            for name in wasm?.fields[source.name] ?? [] where !fields.contains(where: { $0.path == name }) {
                fields.append(DataSourceField(path: name, origin: .wasm))
            }
            return (source.name, fields)
        }
        for name in wasm?.createdDataSources ?? [] where !sources.contains(where: { $0.name == name }) {
            sources.append((name, (wasm?.fields[name] ?? []).map { DataSourceField(path: $0, origin: .wasm) }))
        }
        if !sources.isEmpty {
            if let skip = try edit(&root, "datasources", added: &added, skipped: &skipped, { dataSources, added, skipped in
                for source in sources {
                    var isNew = false
                    if Self.isMissing(dataSources[source.name]) {
                        Self.set(&dataSources, source.name, .mapping(Node.Mapping([])))
                        isNew = true
                    }
                    guard var dataSource = dataSources[source.name]?.mapping else {
                        skipped.append("datasources.\(source.name) (not a mapping)")
                        continue
                    }
                    var fields = Self.isMissing(dataSource["fields"]) ? Node.Mapping([]) : dataSource["fields"]?.mapping
                    guard fields != nil else {
                        skipped.append("datasources.\(source.name).fields (not a mapping)")
                        continue
                    }
                    // The data source's own description, from the comment on its marker; ig writes none.
                    var describedNow = false
                    if let text = descriptions.description(ofDataSource: source.name) {
                        var annotations = Self.isMissing(dataSource["annotations"]) ? Node.Mapping([]) : dataSource["annotations"]?.mapping
                        if annotations != nil, Self.isMissing(annotations!["description"]) {
                            Self.set(&annotations!, "description", Self.string(text))
                            Self.set(&dataSource, "annotations", .mapping(annotations!), order: ["annotations", "fields"])
                            describedNow = true
                        }
                    }
                    var newFields: [String] = []
                    var previous: String?
                    for field in source.fields where !field.isGroup {
                        defer { if fields![field.path] != nil { previous = field.path } }
                        guard Self.isMissing(fields![field.path]) else { continue }
                        let text = descriptions.description(of: field, in: source.name) ?? Self.fieldDescription
                        let entry = Node([(Node("annotations"), Node([(Node("description"), Self.string(text))]))])
                        Self.insert(&fields!, field.path, entry, after: previous)
                        newFields.append(field.path)
                    }
                    guard isNew || describedNow || !newFields.isEmpty else { continue }
                    if isNew || !newFields.isEmpty { Self.set(&dataSource, "fields", .mapping(fields!), order: ["annotations", "fields"]) }
                    dataSources[source.name] = .mapping(dataSource)
                    if isNew {
                        added.append("datasource \(source.name) (\(newFields.count) field\(newFields.count == 1 ? "" : "s"))")
                    } else {
                        if describedNow { added.append("description of datasource \(source.name)") }
                        if !newFields.isEmpty { added.append(newFields.map { "field \(source.name).\($0)" }.joined(separator: ", ")) }
                    }
                }
            }) {
                skipped.append(skip)
            }
        }

        // eBPF params: a marker for a global const volatile variable.
        var params: [String] = []
        for marker in object.variables.map(\.name) where marker.hasPrefix("gadget_param_") {
            let variable = String(marker.dropFirst("gadget_param_".count))
            guard object.variable(named: variable)?.isConstVolatile == true else {
                skipped.append("param marker \(marker)")
                continue
            }
            if !params.contains(variable) { params.append(variable) }
        }
        if !params.isEmpty {
            if let skip = try edit(&root, "params", added: &added, skipped: &skipped, { allParams, added, skipped in
                var ebpf = Self.isMissing(allParams["ebpf"]) ? Node.Mapping([]) : allParams["ebpf"]?.mapping
                guard ebpf != nil else {
                    skipped.append("params.ebpf (not a mapping)")
                    return
                }
                var newParams: [String] = []
                for variable in params where Self.isMissing(ebpf![variable]) {
                    let text = descriptions.description(ofParam: variable).map(Self.string) ?? Node(Self.paramDescription)
                    Self.set(&ebpf!, variable, Node([(Node("key"), Self.string(variable)), (Node("description"), text)]))
                    newParams.append(variable)
                }
                guard !newParams.isEmpty else { return }
                Self.set(&allParams, "ebpf", .mapping(ebpf!))
                added.append("params.ebpf " + newParams.joined(separator: ", "))
            }) {
                skipped.append(skip)
            }
        }

        guard !added.isEmpty else {
            return Result(bytes: existing ?? Data(), added: [], skipped: skipped, created: created)
        }
        let text = try Yams.serialize(node: .mapping(root), indent: 2, width: -1, allowUnicode: true, lineBreak: .ln)
        return Result(bytes: Data(text.utf8), added: added, skipped: skipped, created: created)
    }

    /// Runs `body` on the mapping under top-level `key` (created when missing or null) and stores it
    /// back if `body` added something; returns a reason when the key holds something else than a mapping.
    private func edit(_ root: inout Node.Mapping, _ key: String, added: inout [String], skipped: inout [String],
                      _ body: (inout Node.Mapping, inout [String], inout [String]) throws -> Void) throws -> String? {
        var mapping: Node.Mapping
        if Self.isMissing(root[key]) {
            mapping = Node.Mapping([])
        } else if let existing = root[key]?.mapping {
            mapping = existing
        } else {
            return "\(key) (not a mapping)"
        }
        let before = added.count
        try body(&mapping, &added, &skipped)
        if added.count > before { Self.set(&root, key, .mapping(mapping), order: Self.topLevel.map(\.key)) }
        return nil
    }

    /// Absent, `~`/empty (null), or an empty string: ig fills these too.
    static func isMissing(_ node: Node?) -> Bool {
        guard let node else { return true }
        if let scalar = node.scalar { return scalar.string.isEmpty || node.null != nil }
        return false
    }

    /// Sets `key`, replacing a value in place; a new key goes where `order` (ig's model, for the top
    /// level) puts it among the keys already there, else at the end.
    static func set(_ mapping: inout Node.Mapping, _ key: String, _ value: Node, order: [String] = []) {
        if mapping[key] != nil {
            mapping[key] = value
            return
        }
        var pairs = mapping.map { ($0.key, $0.value) }
        var index = pairs.count
        if let rank = order.firstIndex(of: key) {
            let earlier = Set(order[..<rank])
            let later = Set(order[(rank + 1)...])
            if let last = pairs.lastIndex(where: { $0.0.string.map(earlier.contains) ?? false }) {
                index = last + 1
            } else if let first = pairs.firstIndex(where: { $0.0.string.map(later.contains) ?? false }) {
                index = first
            }
        }
        pairs.insert((Node(key), value), at: index)
        mapping = Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark)
    }

    /// Adds `key` right after `previous`, the field before it in ig's order that the mapping has; at the
    /// front when there is none, so that a field ig lists first stays first.
    static func insert(_ mapping: inout Node.Mapping, _ key: String, _ value: Node, after previous: String?) {
        var pairs = mapping.map { ($0.key, $0.value) }
        var index = 0
        if let previous, let found = pairs.firstIndex(where: { $0.0.string == previous }) { index = found + 1 }
        pairs.insert((Self.string(key), value), at: index)
        mapping = Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark)
    }

    /// A string scalar that stays a string when read back (`true`, `123`, `null` get quotes).
    static func string(_ text: String) -> Node {
        let plain = Node(text)
        let isString = plain.bool == nil && plain.int == nil && plain.float == nil && plain.null == nil
        return isString ? plain : Node(text, .implicit, .singleQuoted)
    }

    /// Writes the file atomically and durably (temporary file, fsync, rename, fsync of the folder),
    /// keeping an existing file's mode (and, as root, its owner); a new file made as root gets the owner
    /// of `ownerLike` (the eBPF source), as ig does. A symlink is followed only to a file in its own
    /// folder or below: that file is updated and the link kept. A link leaving the folder or dangling
    /// is refused, and so is anything but a regular file.
    public static func write(_ data: Data, to url: URL, ownerLike: URL?) throws {
        let folder = ResolvedPath(url.deletingLastPathComponent().path)
        let resolved = ResolvedPath(url.path)
        var linkInfo = stat()
        let present = lstat(url.path, &linkInfo) == 0
        if !resolved.exists, present, linkInfo.st_mode & S_IFMT == S_IFLNK {
            throw MetadataError.danglingSymlink(file: url.lastPathComponent, target: ResolvedPath.readLink(url.path) ?? resolved.path)
        }
        guard resolved.isInside(folder), resolved.path != folder.path else {
            throw MetadataError.symlinkLeavesGadget(file: url.lastPathComponent, target: resolved.path)
        }
        let target = resolved.path
        var previous = stat()
        let exists = stat(target, &previous) == 0
        if exists, previous.st_mode & S_IFMT != S_IFREG {
            throw MetadataError.notARegularFile(file: url.lastPathComponent, kind: FileKind(mode: previous.st_mode).phrase,
                                                remedy: "replace it with the gadget's metadata file, or remove it")
        }
        var owner: (uid: uid_t, gid: gid_t)?
        if geteuid() == 0 {
            var source = stat()
            if exists { owner = (previous.st_uid, previous.st_gid) }
            else if let ownerLike, stat(ownerLike.path, &source) == 0 { owner = (source.st_uid, source.st_gid) }
        }
        let temporary = AtomicFile.temporarySibling(of: URL(fileURLWithPath: target)).path
        func failure(_ step: String, _ code: Int32) -> MetadataError {
            .cannotWrite(path: url.path, reason: "\(step): \(SystemError.text(code))")
        }
        // A new file gets 0666 less the umask, as any editor would make it; an existing one keeps its mode.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o666)
        guard descriptor >= 0 else { throw failure("cannot create a temporary file beside it", errno) }
        do {
            defer { close(descriptor) }
            var offset = 0
            while offset < data.count {
                let written = data.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write failed", errno)
                }
                offset += written
            }
            if exists, fchmod(descriptor, previous.st_mode & 0o7777) != 0 { throw failure("cannot keep its mode", errno) }
            if let owner, fchown(descriptor, owner.uid, owner.gid) != 0 { throw failure("cannot keep its owner", errno) }
            if fsync(descriptor) != 0 { throw failure("fsync failed", errno) }
            if rename(temporary, target) != 0 { throw failure("cannot rename the temporary file over it", errno) }
        } catch {
            unlink(temporary)
            throw error
        }
        let directory = open(URL(fileURLWithPath: target).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)  // the rename is durable once the folder is; nothing to do if this fails
            close(directory)
        }
    }
}
