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
    /// The wasm module build.yaml names (`wasm`), prebuilt or to build from Go or Rust.
    public var wasm: WasmSource?
    /// A prebuilt wasm module to package, if build.yaml names one.
    public var wasmModule: URL? {
        if case .module(let url) = wasm { return url }
        return nil
    }
    /// Sources whose first include is vmlinux.h: they can use the precompiled vmlinux.h.
    public var sourcesStartingWithVmlinux: Set<String> = []
    /// Whether a source or a header of the folder names vmlinux.h: such a gadget cannot build for an
    /// arch without one (a `__has_include` fallback counts as not needing it).
    public var includesVmlinux = false

    /// Display name of the folder for messages: its last path component.
    public var name: String { root.lastPathComponent }

    init(root: URL, buildFile: URL? = nil, configuration: BuildFile = BuildFile(), ebpfSources: [String],
         metadata: URL? = nil, wasm: WasmSource? = nil) {
        self.root = root
        self.buildFile = buildFile
        self.configuration = configuration
        self.ebpfSources = ebpfSources
        self.metadata = metadata
        self.wasm = wasm
    }

    /// Reads `folder`, with `buildFilePath` (`-f`) overriding `<folder>/build.yaml`. Every file taken from
    /// the folder is resolved (symlinks followed, dangling ones refused), must stay inside it and be a
    /// regular file; all of that is asked with lstat/stat before any file is opened.
    public init(folder: String, buildFilePath: String? = nil, fileManager: FileManager = .default) throws {
        let cwd = URL(fileURLWithPath: fileManager.currentDirectoryPath)
        let root = URL(fileURLWithPath: folder, relativeTo: cwd).standardizedFileURL
        switch FileKind(path: root.path) {
        case .directory: break
        case .missing: throw MetadataError.folderMissing(folder)
        case let kind: throw MetadataError.notAFolder(path: folder, kind: kind.phrase)
        }
        self.root = root
        let resolvedRoot = ResolvedPath(root.path)

        let buildURL: URL
        if let buildFilePath {
            // -f names the user's own file, anywhere; it still has to be a regular file.
            buildURL = URL(fileURLWithPath: buildFilePath, relativeTo: cwd).standardizedFileURL
            switch FileKind(path: buildURL.path) {
            case .regular: break
            case .missing: throw MetadataError.unreadable(path: buildURL.path, reason: "no such file (given with -f)")
            case let kind:
                throw MetadataError.notARegularFile(file: "-f \(buildFilePath)", kind: kind.phrase, remedy: "pass the path of a build.yaml file")
            }
        } else {
            buildURL = root.appendingPathComponent("build.yaml")
        }
        let hasBuildFile = try buildFilePath != nil
            || Self.checked(buildURL, in: resolvedRoot, root: root, remedy: "replace it with a build.yaml file, or remove it") != nil
        if hasBuildFile {
            let data: Data
            do { data = try RegularFile.read(buildURL.path) } catch let failure as RegularFile.Failure {
                throw MetadataError.unreadable(path: buildURL.path, reason: failure.reason)
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw MetadataError.invalidYAML(file: buildURL.lastPathComponent, reason: "not UTF-8 text")
            }
            configuration = try BuildFile(yaml: text, origin: buildURL.lastPathComponent)
            buildFile = buildURL
        } else {
            configuration = BuildFile()
            buildFile = nil
        }
        let origin = buildFile?.lastPathComponent ?? "build.yaml"

        let source = try Self.inside(root, configuration.ebpfSource, key: "ebpfsource", origin: origin)
        let metadataURL = try Self.inside(root, configuration.metadata, key: "metadata", origin: origin)
        // A default path is named by itself in messages; one build.yaml gave is named as its entry.
        let sourceOrigin = configuration.ebpfSource == BuildFile.defaultEBPFSource ? nil : origin
        let metadataOrigin = configuration.metadata == BuildFile.defaultMetadata ? nil : origin
        let hasSource = try Self.checked(source, in: resolvedRoot, root: root, key: "ebpfsource", origin: sourceOrigin,
                                         remedy: sourceOrigin == nil ? "replace it with the gadget's C source" : "name a C source file") != nil
        let hasMetadata = try Self.checked(metadataURL, in: resolvedRoot, root: root, key: "metadata", origin: metadataOrigin,
                                           remedy: "replace it with the gadget's metadata file, or remove it") != nil
        metadata = hasMetadata ? metadataURL : nil

        if let wasm = configuration.wasm {
            let url = try Self.inside(root, wasm, key: "wasm", origin: origin)
            guard let kind = WasmSource.kind(ofPath: wasm) else { throw MetadataError.unsupportedWasmSource(path: wasm) }
            let remedy = kind.module ? "name a .wasm module file" : "name the module's \(kind.language == .go ? "Go" : "Rust") source file"
            guard try Self.checked(url, in: resolvedRoot, root: root, key: "wasm", origin: origin, remedy: remedy) != nil else {
                throw MetadataError.fileMissing(file: origin, key: "wasm", path: wasm)
            }
            switch kind.language {
            case nil: self.wasm = .module(url)
            case .go: self.wasm = .go(source: url)
            case .rust:
                // ig builds the crate whose manifest is the folder above the source's (`rust/src/lib.rs` → `rust/Cargo.toml`).
                let manifest = url.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Cargo.toml")
                let relative = String(manifest.path.dropFirst(root.path.count + 1))
                guard manifest.path.hasPrefix(root.path + "/"),
                      try Self.checked(manifest, in: resolvedRoot, root: root, key: "wasm", origin: origin,
                                       remedy: "make it the crate's Cargo.toml") != nil else {
                    throw MetadataError.cargoManifestMissing(source: wasm, manifest: manifest.path.hasPrefix(root.path + "/") ? relative : "../Cargo.toml")
                }
                self.wasm = .rust(source: url, manifest: manifest)
            }
        } else {
            self.wasm = nil
        }

        if !hasSource {
            // An explicitly named source must exist; the default may be absent in a wasm-only gadget.
            if buildFile != nil, configuration.ebpfSource != BuildFile.defaultEBPFSource {
                throw MetadataError.fileMissing(file: origin, key: "ebpfsource", path: configuration.ebpfSource)
            }
            // As ig: without eBPF, a wasm module or gadget.yaml alone is a gadget (its image has no eBPF layer).
            guard hasMetadata || wasm != nil else { throw MetadataError.notAGadget(folder) }
            ebpfSources = []
            return
        }
        let mainSource = String(source.path.dropFirst(root.path.count + 1))
        let siblings = (try? fileManager.contentsOfDirectory(atPath: root.path)) ?? []
        let others = siblings.filter { $0.hasSuffix(".bpf.c") && $0 != mainSource }.sorted()
        for other in others {
            // Found by the glob, compiled and linked like the main source: the same rules apply.
            _ = try Self.checked(root.appendingPathComponent(other), in: resolvedRoot, root: root,
                                 remedy: "every *.bpf.c of the folder is compiled; rename it or replace it with a C source file")
        }
        ebpfSources = [mainSource] + others
        var texts: [String: String] = [:]
        for name in ebpfSources + siblings.filter({ $0.hasSuffix(".h") }) {
            // Headers are only scanned for vmlinux.h here: one that is not a regular file of the folder is skipped, never opened.
            let url = root.appendingPathComponent(name)
            guard ResolvedPath(url.path).isInside(resolvedRoot) else { continue }
            texts[name] = try? Self.readText(url)
        }
        sourcesStartingWithVmlinux = Set(ebpfSources.filter { texts[$0].map(PrecompiledHeader.sourceStartsWithVmlinux) ?? false })
        includesVmlinux = texts.values.contains(where: Self.includesVmlinux)
    }

    /// A C file's text, for the vmlinux.h scan; bytes that are not UTF-8 become replacement characters.
    static func readText(_ url: URL) throws(RegularFile.Failure) -> String {
        let data = try RegularFile.read(url.path)
        return String(data: data, encoding: .utf8) ?? String(decoding: data, as: UTF8.self)
    }

    /// `url` checked for a build: nil when nothing is there; the url when it is a regular file that
    /// resolves inside the folder; an error for a symlink leaving the folder, a dangling symlink or
    /// anything but a regular file. `origin`/`key` name the build.yaml entry that named it, if one did.
    static func checked(_ url: URL, in resolvedRoot: ResolvedPath, root: URL, key: String? = nil, origin: String? = nil,
                        remedy: String) throws -> URL? {
        let relative = url.path.hasPrefix(root.path + "/") ? String(url.path.dropFirst(root.path.count + 1)) : url.path
        let display = origin.flatMap { origin in key.map { "\(origin): '\($0): \(relative)'" } } ?? relative
        let resolved = ResolvedPath(url.path)
        var info = stat()
        let present = lstat(url.path, &info) == 0
        if !resolved.exists {
            guard present, info.st_mode & S_IFMT == S_IFLNK else { return nil }  // nothing there at all
            throw MetadataError.danglingSymlink(file: display, target: ResolvedPath.readLink(url.path) ?? resolved.path)
        }
        guard resolved.isInside(resolvedRoot) else {
            throw MetadataError.symlinkLeavesGadget(file: display, target: resolved.path)
        }
        let kind = FileKind(path: resolved.path)
        guard kind == .regular else { throw MetadataError.notARegularFile(file: display, kind: kind.phrase, remedy: remedy) }
        return url
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

    /// Resolves `path` against the folder and rejects a path that leaves it as written (`..`, absolute
    /// paths); symlinks are followed and checked by `checked`, which names the link.
    static func inside(_ root: URL, _ path: String, key: String, origin: String) throws -> URL {
        let candidate = URL(fileURLWithPath: path, relativeTo: root).standardizedFileURL
        guard !path.hasPrefix("/"), candidate.path.hasPrefix(root.path + "/") else {
            throw MetadataError.pathEscapesGadget(file: origin, key: key, path: path)
        }
        return candidate
    }
}
