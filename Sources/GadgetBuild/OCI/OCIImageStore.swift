import Foundation

/// A gadget image written into a store or layout.
public struct BuiltImage: Sendable, Hashable, CustomStringConvertible {
    public var reference: ImageReference
    /// Digest of the image index (`sha256:…`): what the tag points to.
    public var indexDigest: String
    /// Architecture → digest of that architecture's manifest.
    public var manifests: [String: String]

    /// `REPOSITORY:TAG@DIGEST`, as ig prints it after `Successfully built `.
    public var description: String {
        "\(reference.repository):\(reference.tag ?? "")@\(indexDigest)"
    }
}

/// An OCI image layout on disk (oci-layout, index.json, blobs/sha256/…), used the way ig uses
/// its local store: tags are index.json entries named by `org.opencontainers.image.ref.name`
/// holding the full normalized reference.
///
/// The same type writes ig's store (`OCIImageStore.defaultRoot`) and a standalone layout
/// (`--oci-layout DIR`). Writes are safe against concurrent writers and crashes: blobs go to a
/// temporary file in blobs/sha256 and are renamed to their digest only when complete (existing
/// blobs are reused); index.json is changed only under ig's exclusive lock on `index.json.lock`,
/// written to a temporary file and renamed over the old one. A failure tags nothing; every input
/// is read before the first write, so a missing input leaves the layout untouched.
public struct OCIImageStore: Sendable {
    public let root: URL
    /// Permissions of folders this store creates: ig creates its store 0700.
    let directoryMode: mode_t

    /// A layout at `root`, created if absent (folders 0755). An existing folder must be empty or
    /// already an OCI image layout.
    public init(root: URL) {
        self.init(root: root, directoryMode: 0o755)
    }

    init(root: URL, directoryMode: mode_t) {
        self.root = root.standardizedFileURL
        self.directoryMode = directoryMode
    }

    /// ig's store for this user: folders created 0700, as ig creates them.
    public static func defaultStore(environment: [String: String], isRoot: Bool) -> OCIImageStore {
        OCIImageStore(root: defaultRoot(environment: environment, isRoot: isRoot), directoryMode: 0o700)
    }

    /// Where ig keeps its store (pkg/oci/local_oci_store.go): /var/lib/ig/oci-store when running as
    /// root, otherwise $HOME/.ig/oci-store, falling back to the system store when HOME is unset.
    public static func defaultRoot(environment: [String: String], isRoot: Bool) -> URL {
        let system = URL(fileURLWithPath: "/var/lib/ig/oci-store", isDirectory: true)
        guard !isRoot else { return system }
        guard let home = environment["HOME"], !home.isEmpty else { return system }
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".ig/oci-store", isDirectory: true)
    }

    private var indexURL: URL { root.appendingPathComponent(OCILayoutFile.index) }
    private var layoutURL: URL { root.appendingPathComponent(OCILayoutFile.layout) }
    var blobsFolder: URL { blobsURL }
    private var blobsURL: URL {
        root.appendingPathComponent(OCILayoutFile.blobs, isDirectory: true)
            .appendingPathComponent(OCILayoutFile.sha256, isDirectory: true)
    }

    /// Packages `content` and tags it as `reference`, replacing any earlier image of that name.
    @discardableResult
    public func add(_ content: GadgetImageContent, as reference: ImageReference) throws -> BuiltImage {
        guard reference.digest == nil else { throw OCIError.digestReferenceNotTaggable(reference) }
        let image = try OCIGadgetImage(content)

        try prepareLayout()
        try writeAll(image.blobs)
        let refName = reference.description
        try OCIIndexLock.withExclusiveLock(in: root) {
            // Temporaries of writers killed mid-write: index.json's (written only under this lock) and
            // blobs' (a process that is gone writes nothing more). One readdir each (a listing of 5,000 names took 4 ms here).
            for folder in [root, blobsURL] {
                for name in OCIImageStore.entries(of: folder) ?? [] where TemporaryName.isAbandoned(name) {
                    unlink(folder.appendingPathComponent(name).path)
                }
            }
            let current = try readIndex()
            let updated = OCIImageStore.index(current, tagging: image.indexDescriptor(refName: refName), as: refName)
            try writeDurably(updated.encoded(), to: indexURL, what: "image index")
        }
        return BuiltImage(reference: reference, indexDigest: image.index.digest, manifests: image.manifests)
    }

    /// The index digest tagged `reference`, or nil when the store does not have it. A reference
    /// with a digest resolves when that exact name is tagged or the digest's blob is present.
    public func resolve(_ reference: ImageReference) throws -> String? {
        let index = try OCIIndexLock.withSharedLockIfPossible(in: root) { try readIndex() }
        let name = reference.description
        for entry in index?["manifests"]?.arrayValue ?? [] where entry["annotations"]?[OCIAnnotation.refName]?.stringValue == name {
            return entry["digest"]?.stringValue
        }
        if let digest = reference.digest, digest.hasPrefix("sha256:") {
            let blob = blobsURL.appendingPathComponent(String(digest.dropFirst("sha256:".count)))
            if FileManager.default.fileExists(atPath: blob.path) { return digest }
        }
        return nil
    }

    // MARK: Layout

    /// Creates the layout if needed, under the index lock so that concurrent first writers agree
    /// on whether the folder was empty.
    private func prepareLayout() throws {
        // Refuse a foreign folder before putting a lock file into it; checked again under the lock.
        if !FileManager.default.fileExists(atPath: layoutURL.path), !isEmptyFolderOrMissing() {
            throw OCIError.notAnImageLayout(root)
        }
        try OCIImageStore.makeDirectories(root, mode: directoryMode, what: "image layout folder")
        try OCIIndexLock.withExclusiveLock(in: root) {
            if FileManager.default.fileExists(atPath: layoutURL.path) {
                try validateLayoutFile()
            } else {
                guard isEmptyFolderOrMissing() else { throw OCIError.notAnImageLayout(root) }
                try createBlobFolder()
                if !FileManager.default.fileExists(atPath: indexURL.path) {
                    try writeDurably(OCIImageStore.emptyIndex.encoded(), to: indexURL, what: "image index")
                }
                let layout = OCIJSON.object([OCIJSONMember("imageLayoutVersion", .string(OCILayoutFile.layoutVersion))])
                try writeDurably(layout.encoded(), to: layoutURL, what: "oci-layout file")
            }
            try createBlobFolder()
        }
    }

    /// True when `root` is absent, empty, or holds only what a layout being created holds (another
    /// writer's, or an interrupted one's: lock file, index.json, blobs, temporary files).
    private func isEmptyFolderOrMissing() -> Bool {
        guard let entries = OCIImageStore.entries(of: root) else { return false }
        let layoutNames = [OCILayoutFile.indexLock, OCILayoutFile.index, OCILayoutFile.blobs, OCILayoutFile.layout]
        return entries.allSatisfy { name in
            layoutNames.contains(name)
                || name.hasPrefix(".\(OCILayoutFile.index).tmp-") || name.hasPrefix(".\(OCILayoutFile.layout).tmp-")
        }
    }

    private func createBlobFolder() throws {
        try OCIImageStore.makeDirectories(blobsURL, mode: directoryMode, what: "blob folder")
    }

    /// The names in a folder, [] when it does not exist, nil when it cannot be read. Plain
    /// readdir: entries that other writers rename meanwhile must not make the listing fail.
    static func entries(of url: URL) -> [String]? {
        guard let directory = opendir(url.path) else { return errno == ENOENT ? [] : nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// `mkdir -p` that tolerates other writers creating the same folders at the same time.
    private static func makeDirectories(_ url: URL, mode: mode_t, what: String) throws {
        if mkdir(url.path, mode) == 0 { return }
        var code = errno
        if code == ENOENT, url.path != "/" {
            try makeDirectories(url.deletingLastPathComponent(), mode: mode, what: what)
            if mkdir(url.path, mode) == 0 { return }
            code = errno
        }
        var status = stat()
        if code == EEXIST, stat(url.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR { return }
        throw OCIError.writeFailed(what, url, OCIPOSIXFailure(code: code == EEXIST ? ENOTDIR : code))
    }

    private func validateLayoutFile() throws {
        let data: Data
        do {
            data = try Data(contentsOf: layoutURL)
        } catch {
            throw OCIError.corruptImageLayout(layoutURL, OCIError.reason(error))
        }
        let version: String?
        do {
            version = try OCIJSON.parse(data)["imageLayoutVersion"]?.stringValue
        } catch {
            throw OCIError.corruptImageLayout(layoutURL, "\(error)")
        }
        guard version == OCILayoutFile.layoutVersion else {
            throw OCIError.corruptImageLayout(
                layoutURL, "imageLayoutVersion is \(version.map { "\"\($0)\"" } ?? "missing"), expected \"1.0.0\"")
        }
    }

    func readIndexForCheck() throws -> OCIJSON? { try readIndex() }

    private func readIndex() throws -> OCIJSON? {
        let data: Data
        do {
            data = try Data(contentsOf: indexURL)
        } catch let error as NSError where error.domain == NSCocoaErrorDomain
            && (error.code == NSFileReadNoSuchFileError || error.code == NSFileNoSuchFileError) {
            return nil
        } catch {
            throw OCIError.corruptImageLayout(indexURL, OCIError.reason(error))
        }
        do {
            let index = try OCIJSON.parse(data)
            guard case .object = index else { throw OCIJSON.ParseError(description: "it is not a JSON object") }
            if let manifests = index["manifests"], manifests.arrayValue == nil {
                throw OCIJSON.ParseError(description: "\"manifests\" is not an array")
            }
            return index
        } catch {
            throw OCIError.corruptImageLayout(indexURL, "\(error)")
        }
    }

    static let emptyIndex = OCIJSON.object([
        OCIJSONMember("schemaVersion", .int(2)),
        OCIJSONMember("mediaType", .string(OCIMediaType.imageIndex)),
        OCIJSONMember("manifests", .array([])),
    ])

    /// `index` with `entry` tagged `refName`: the entry that had this name is dropped, the new
    /// one is appended, every other entry and member is kept as it was.
    static func index(_ index: OCIJSON?, tagging entry: OCIJSON, as refName: String) -> OCIJSON {
        let current = index ?? emptyIndex
        guard case .object(var members) = current else { return current }
        let old = current["manifests"]?.arrayValue ?? []
        let kept = old.filter { $0["annotations"]?[OCIAnnotation.refName]?.stringValue != refName }
        let manifests = OCIJSON.array(kept + [entry])
        if let position = members.firstIndex(where: { $0.key == "manifests" }) {
            members[position].value = manifests
        } else {
            members.append(OCIJSONMember("manifests", manifests))
        }
        return .object(members)
    }

    // MARK: Writing

    /// Writes the blobs at once (each waits for its own fsync; measured ~0.25 ms apiece here), then makes
    /// their names durable with one sync of the blob folder, before any index names them.
    private func writeAll(_ blobs: [OCIBlob]) throws {
        let failures = BlobWriteFailures()
        DispatchQueue.concurrentPerform(iterations: blobs.count) { index in
            do { try write(blobs[index]) } catch { failures.record(error, at: index) }
        }
        if let failure = failures.first { throw failure }
        OCIImageStore.syncDirectory(blobsURL)
    }

    /// Writes a blob under its digest unless a copy with the right bytes is already there: an existing
    /// blob is trusted only when it hashes to its name (as containerd commits content), so a damaged
    /// store heals on the next build. Gadget blobs are small; checking them costs well under a millisecond.
    private func write(_ blob: OCIBlob) throws {
        let destination = blobsURL.appendingPathComponent(blob.encoded)
        var status = stat()
        if lstat(destination.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, Int(status.st_size) == blob.size,
           let existing = FileManager.default.contents(atPath: destination.path), existing == blob.data {
            return
        }
        try writeDurably(blob.data, to: destination, what: "blob", mode: 0o644, syncFolder: false)
    }

    /// Writes `data` to a temporary sibling, flushes it to disk, then renames it over `url`; on
    /// any failure the temporary file is removed and `url` is left as it was.
    private func writeDurably(_ data: Data, to url: URL, what: String, mode: mode_t = 0o644, syncFolder: Bool = true) throws {
        let temporary = AtomicFile.temporarySibling(of: url)
        do {
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { throw OCIPOSIXFailure(code: errno) }
            var failure: Int32 = 0
            data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    offset += written
                }
            }
            if failure == 0, fsync(fd) != 0 { failure = errno }
            if close(fd) != 0, failure == 0 { failure = errno }
            if failure != 0 { throw OCIPOSIXFailure(code: failure) }
            try AtomicFile.replace(url, with: temporary)
        } catch {
            unlink(temporary.path)
            throw OCIError.writeFailed(what, url, error)
        }
        if syncFolder { OCIImageStore.syncDirectory(url.deletingLastPathComponent()) }
    }

    /// Makes a rename durable; a failure only weakens crash safety, so it is ignored.
    private static func syncDirectory(_ url: URL) {
        let fd = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}

/// The errors of blobs written in parallel; the first by blob order is the one reported.
private final class BlobWriteFailures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [Int: Error] = [:]

    func record(_ error: Error, at index: Int) { lock.withLock { errors[index] = error } }
    var first: Error? { lock.withLock { errors.keys.min().flatMap { errors[$0] } } }
}

/// An errno from a system call, shown through `OCIError.reason`.
struct OCIPOSIXFailure: Error, CustomNSError {
    let code: Int32
    static var errorDomain: String { NSPOSIXErrorDomain }
    var errorCode: Int { Int(code) }
}
