import Foundation

/// What is wrong with one blob of a store.
public struct StoreProblem: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case missing
        /// Present with another size than its descriptor says.
        case wrongSize = "wrong-size"
        /// Its bytes do not hash to its name.
        case wrongDigest = "wrong-digest"
        /// An index or manifest that is not the JSON it should be.
        case unreadable
    }

    public var kind: Kind
    public var digest: String
    public var detail: String
    /// The tags whose image needs this blob.
    public var tags: [String]

    public var description: String {
        "\(digest) \(kind.rawValue)\(detail.isEmpty ? "" : ": \(detail)") (needed by \(tags.isEmpty ? "no tag" : tags.joined(separator: ", ")))"
    }
}

/// The result of checking a whole store.
public struct StoreCheckReport: Codable, Sendable {
    public var root: String
    public var tags: Int
    public var blobsChecked: Int
    public var problems: [StoreProblem]
    /// Temporary files of writers that died (never named by an index).
    public var leftovers: [String]
    /// What `--repair` removed.
    public var removed: [String] = []
    public var isHealthy: Bool { problems.isEmpty && leftovers.isEmpty }
}

/// A content descriptor as an index or manifest names it.
struct OCIDescriptor: Hashable {
    var digest: String
    var size: Int64?
    var mediaType: String?

    init?(_ json: OCIJSON) {
        guard let digest = json["digest"]?.stringValue else { return nil }
        self.digest = digest
        if case .number(let text)? = json["size"] { size = Int64(text) } else { size = nil }
        mediaType = json["mediaType"]?.stringValue
    }
}

extension OCIImageStore {
    /// Checks the blobs an image needs: every descriptor reachable from `indexDigest` exists with its
    /// size and, when `deep`, its digest. Cheap without `deep` (a stat per blob, and the index and
    /// manifests parsed): what a no-op rebuild asks before it trusts a tag.
    public func problems(ofImage indexDigest: String, size: Int64? = nil, deep: Bool) -> [StoreProblem] {
        var seen = Set<String>()
        var problems: [StoreProblem] = []
        if !FileManager.default.fileExists(atPath: root.appendingPathComponent(OCILayoutFile.layout).path) {
            problems.append(StoreProblem(kind: .missing, digest: OCILayoutFile.layout, detail: "the layout's oci-layout file", tags: []))
        }
        walk(OCIDescriptorPath(digest: indexDigest, size: size, isIndexOrManifest: true), deep: deep, seen: &seen, problems: &problems)
        return problems
    }

    /// Checks every tagged image and every blob of the store (digests included), and lists the
    /// temporary files that writers killed mid-write left behind.
    public func check() throws -> StoreCheckReport {
        let index = try OCIIndexLock.withSharedLockIfPossible(in: root) { try readIndexForCheck() }
        var byDigest: [String: [String]] = [:]
        var seen = Set<String>()
        var problems: [StoreProblem] = []
        let entries = index?["manifests"]?.arrayValue ?? []
        for entry in entries {
            guard let descriptor = OCIDescriptor(entry) else { continue }
            let tag = entry["annotations"]?[OCIAnnotation.refName]?.stringValue ?? descriptor.digest
            var imageProblems: [StoreProblem] = []
            var imageSeen = Set<String>()
            walk(OCIDescriptorPath(digest: descriptor.digest, size: descriptor.size, isIndexOrManifest: true),
                 deep: true, seen: &imageSeen, problems: &imageProblems)
            seen.formUnion(imageSeen)
            for problem in imageProblems { byDigest[problem.digest, default: []].append(tag) }
            problems += imageProblems
        }
        // Blobs no tag reaches are checked too: a later build may reuse them.
        var checked = seen.count
        for name in blobNames() where !seen.contains("sha256:\(name)") {
            guard name.count == 64, name.allSatisfy(\.isHexDigit) else { continue }
            checked += 1
            if let problem = blobProblem(digest: "sha256:\(name)", size: nil, deep: true) { problems.append(problem) }
        }
        var unique: [String: StoreProblem] = [:]
        for var problem in problems {
            problem.tags = Array(Set(byDigest[problem.digest] ?? [])).sorted()
            unique[problem.digest] = problem
        }
        return StoreCheckReport(root: root.path, tags: entries.count, blobsChecked: checked,
                                problems: unique.values.sorted { $0.digest < $1.digest }, leftovers: leftoverTemporaries())
    }

    /// Removes what `check` found that can only do harm: blobs whose bytes are wrong (a rebuild or a
    /// pull writes them again) and temporaries of dead writers. Tags are never touched.
    public func repair(_ report: StoreCheckReport) -> [String] {
        var removed: [String] = []
        for problem in report.problems where problem.kind == .wrongDigest || problem.kind == .wrongSize {
            let path = blobPath(problem.digest)
            if unlink(path) == 0 { removed.append(path) }
        }
        for path in report.leftovers where unlink(path) == 0 { removed.append(path) }
        return removed
    }

    /// Temporary files (`.<name>.tmp-<pid>-<n>`) in the layout's root and blob folder whose writer is
    /// no longer running.
    public func leftoverTemporaries() -> [String] {
        let folders = [root.path, blobsFolder.path]
        return folders.flatMap { folder in
            (OCIImageStore.entries(of: URL(fileURLWithPath: folder)) ?? []).filter(TemporaryName.isAbandoned).map { "\(folder)/\($0)" }
        }.sorted()
    }

    // MARK: Walking

    struct OCIDescriptorPath {
        var digest: String
        var size: Int64?
        var isIndexOrManifest: Bool
    }

    private func walk(_ node: OCIDescriptorPath, deep: Bool, seen: inout Set<String>, problems: inout [StoreProblem]) {
        guard seen.insert(node.digest).inserted else { return }
        // Indexes and manifests are read anyway, so their digest is always checked.
        if let problem = blobProblem(digest: node.digest, size: node.size, deep: deep || node.isIndexOrManifest) {
            problems.append(problem)
            return
        }
        guard node.isIndexOrManifest else { return }
        guard let data = FileManager.default.contents(atPath: blobPath(node.digest)), let json = try? OCIJSON.parse(data) else {
            problems.append(StoreProblem(kind: .unreadable, digest: node.digest, detail: "not JSON", tags: []))
            return
        }
        var children: [OCIJSON] = json["manifests"]?.arrayValue ?? []
        if let config = json["config"] { children.append(config) }
        children += json["layers"]?.arrayValue ?? []
        for child in children {
            guard let descriptor = OCIDescriptor(child) else { continue }
            let nested = descriptor.mediaType == OCIMediaType.imageIndex || descriptor.mediaType == OCIMediaType.imageManifest
            walk(OCIDescriptorPath(digest: descriptor.digest, size: descriptor.size, isIndexOrManifest: nested),
                 deep: deep, seen: &seen, problems: &problems)
        }
    }

    private func blobProblem(digest: String, size: Int64?, deep: Bool) -> StoreProblem? {
        guard digest.hasPrefix("sha256:") else {
            return StoreProblem(kind: .unreadable, digest: digest, detail: "not a sha256 digest", tags: [])
        }
        var status = stat()
        guard stat(blobPath(digest), &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            return StoreProblem(kind: .missing, digest: digest, detail: "", tags: [])
        }
        if let size, Int64(status.st_size) != size {
            return StoreProblem(kind: .wrongSize, digest: digest, detail: "\(status.st_size) bytes, expected \(size)", tags: [])
        }
        if deep, let actual = try? ContentDigest.hex(fileAt: blobPath(digest)), "sha256:\(actual)" != digest {
            return StoreProblem(kind: .wrongDigest, digest: digest, detail: "its bytes hash to sha256:\(actual.prefix(12))…", tags: [])
        }
        return nil
    }

    func blobPath(_ digest: String) -> String {
        blobsFolder.appendingPathComponent(String(digest.dropFirst("sha256:".count))).path
    }

    private func blobNames() -> [String] { OCIImageStore.entries(of: blobsFolder) ?? [] }
}

extension TemporaryName {
    /// A gadgetc temporary whose writer no longer runs (a reused pid keeps it until a later check).
    static func isAbandoned(_ name: String) -> Bool {
        TemporaryName(parsing: name).map { !ProcessLiveness.isAlive($0.pid) } ?? false
    }
}
