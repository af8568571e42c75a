import Foundation

/// A gadget folder resolved against its build.yaml: every file the build reads, checked to exist and to
/// stay inside the folder.
public struct GadgetFolder: Equatable, Sendable {
    /// Absolute, standardized folder path.
    public var root: URL
    /// The build.yaml that was read, or nil when defaults were used.
    public var buildFile: URL?
    public var configuration: BuildFile
    /// eBPF C sources relative to `root`: the `ebpfsource` first, then every other `*.bpf.c` of the folder,
    /// sorted — all are compiled and linked into one object per arch. Empty for a wasm-only gadget.
    public var ebpfSources: [String]
    /// gadget.yaml, or nil when the folder has none (the image then gets the OCI empty config).
    public var metadata: URL?
    /// A prebuilt wasm module to package, if build.yaml names one.
    public var wasmModule: URL?
    /// Sources whose first include is vmlinux.h: they can use the precompiled vmlinux.h.
    public var sourcesStartingWithVmlinux: Set<String> = []
    /// Whether a source or a header of the folder names vmlinux.h: such a gadget cannot build for an
    /// arch without one (a `__has_include` fallback counts as not needing it).
    public var includesVmlinux = false

    /// Display name of the folder for messages: its last path component.
    public var name: String { root.lastPathComponent }

    init(root: URL, buildFile: URL? = nil, configuration: BuildFile = BuildFile(), ebpfSources: [String],
         metadata: URL? = nil, wasmModule: URL? = nil) {
        self.root = root
        self.buildFile = buildFile
        self.configuration = configuration
        self.ebpfSources = ebpfSources
        self.metadata = metadata
        self.wasmModule = wasmModule
    }

    /// Reads `folder`, with `buildFilePath` (`-f`) overriding `<folder>/build.yaml`.
    public init(folder: String, buildFilePath: String? = nil, fileManager: FileManager = .default) throws {
        let cwd = URL(fileURLWithPath: fileManager.currentDirectoryPath)
        let root = URL(fileURLWithPath: folder, relativeTo: cwd).standardizedFileURL
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MetadataError.folderMissing(folder)
        }
        self.root = root

        let buildURL = buildFilePath.map { URL(fileURLWithPath: $0, relativeTo: cwd).standardizedFileURL }
            ?? root.appendingPathComponent("build.yaml")
        if fileManager.fileExists(atPath: buildURL.path) {
            let text: String
            do { text = try String(contentsOf: buildURL, encoding: .utf8) } catch {
                throw MetadataError.unreadable(path: buildURL.path, reason: error.localizedDescription)
            }
            configuration = try BuildFile(yaml: text, origin: buildURL.lastPathComponent)
            buildFile = buildURL
        } else if buildFilePath != nil {
            throw MetadataError.unreadable(path: buildURL.path, reason: "no such file (given with -f)")
        } else {
            configuration = BuildFile()
            buildFile = nil
        }
        let origin = buildFile?.lastPathComponent ?? "build.yaml"

        let source = try Self.inside(root, configuration.ebpfSource, key: "ebpfsource", origin: origin)
        let metadataURL = try Self.inside(root, configuration.metadata, key: "metadata", origin: origin)
        let hasSource = fileManager.fileExists(atPath: source.path)
        let hasMetadata = fileManager.fileExists(atPath: metadataURL.path)
        metadata = hasMetadata ? metadataURL : nil

        if let wasm = configuration.wasm {
            let url = try Self.inside(root, wasm, key: "wasm", origin: origin)
            guard fileManager.fileExists(atPath: url.path) else {
                throw MetadataError.fileMissing(file: origin, key: "wasm", path: wasm)
            }
            guard url.pathExtension == "wasm" else { throw MetadataError.unsupportedWasmSource(path: wasm) }
            wasmModule = url
        } else {
            wasmModule = nil
        }

        if !hasSource {
            // An explicitly named source must exist; the default may be absent in a wasm-only gadget.
            if buildFile != nil, configuration.ebpfSource != BuildFile.defaultEBPFSource {
                throw MetadataError.fileMissing(file: origin, key: "ebpfsource", path: configuration.ebpfSource)
            }
            guard hasMetadata, wasmModule != nil else { throw MetadataError.notAGadget(folder) }
            ebpfSources = []
            return
        }
        let mainSource = String(source.path.dropFirst(root.path.count + 1))
        let siblings = (try? fileManager.contentsOfDirectory(atPath: root.path)) ?? []
        let others = siblings.filter { $0.hasSuffix(".bpf.c") && $0 != mainSource }.sorted()
        ebpfSources = [mainSource] + others
        var texts: [String: String] = [:]
        for name in ebpfSources + siblings.filter({ $0.hasSuffix(".h") }) {
            texts[name] = try? String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)
        }
        sourcesStartingWithVmlinux = Set(ebpfSources.filter { texts[$0].map(PrecompiledHeader.sourceStartsWithVmlinux) ?? false })
        includesVmlinux = texts.values.contains(where: Self.includesVmlinux)
    }

    /// Whether C text has an `#include` of vmlinux.h that is not behind a `__has_include` check.
    static func includesVmlinux(_ text: String) -> Bool {
        guard !text.contains("__has_include(<vmlinux.h>)"), !text.contains("__has_include(\"vmlinux.h\")") else { return false }
        return text.split(separator: "\n").contains { line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("#") else { return false }
            let directive = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
            return directive.hasPrefix("include") && (directive.contains("<vmlinux.h>") || directive.contains("\"vmlinux.h\""))
        }
    }

    /// Command-line folders to gadget folders: a folder that holds no gadget files but has gadget
    /// subfolders stands for those subfolders (sorted); anything else stands for itself.
    public static func expand(_ folders: [String], fileManager: FileManager = .default) -> [String] {
        let markers = [BuildFile.defaultEBPFSource, BuildFile.defaultMetadata, "build.yaml"]
        func isGadget(_ path: String) -> Bool { markers.contains { fileManager.fileExists(atPath: "\(path)/\($0)") } }
        return folders.flatMap { folder -> [String] in
            guard !isGadget(folder), let children = try? fileManager.contentsOfDirectory(atPath: folder) else { return [folder] }
            let gadgets = children.sorted().map { "\(folder)/\($0)" }.filter(isGadget)
            return gadgets.isEmpty ? [folder] : gadgets
        }
    }

    /// Resolves `path` against the folder and rejects anything that leaves it (`..`, absolute paths, symlinks out).
    static func inside(_ root: URL, _ path: String, key: String, origin: String) throws -> URL {
        let candidate = URL(fileURLWithPath: path, relativeTo: root).standardizedFileURL
        let resolvedRoot = root.resolvingSymlinksInPath().path
        let resolved = candidate.resolvingSymlinksInPath().path
        guard !path.hasPrefix("/"), resolved.hasPrefix(resolvedRoot + "/") else {
            throw MetadataError.pathEscapesGadget(file: origin, key: key, path: path)
        }
        return candidate
    }
}
