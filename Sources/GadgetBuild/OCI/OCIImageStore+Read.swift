import Crypto
import Foundation

/// A descriptor as an image shows it: what a blob is, how big, and its annotations.
public struct OCIDescriptorSummary: Codable, Equatable, Sendable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var annotations: [String: String]?
}

/// One architecture's manifest of a stored image.
public struct StoredManifest: Codable, Equatable, Sendable {
    /// `platform.architecture` in the index ("amd64", "arm64"); "unknown" when the index gives none.
    public var architecture: String
    public var os: String?
    public var digest: String
    public var size: Int64
    public var artifactType: String?
    public var annotations: [String: String]?
    public var config: OCIDescriptorSummary?
    public var layers: [OCIDescriptorSummary]
}

/// An image read back from a store or layout: its index, and each arch's manifest.
public struct StoredImage: Codable, Equatable, Sendable {
    /// The name it is tagged with (`org.opencontainers.image.ref.name`).
    public var reference: String
    public var digest: String
    public var mediaType: String
    public var annotations: [String: String]?
    public var manifests: [StoredManifest]
}

extension OCIImageStore {
    /// The image tagged `reference` (a digest reference also finds an untagged index), its index and
    /// manifests read and checked against their digests. Fails with one line saying what to do when the
    /// folder is no image layout, the name is not tagged (listing what is), or a blob is missing or damaged.
    public func image(_ reference: ImageReference) throws -> StoredImage {
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent(OCILayoutFile.index).path) else {
            throw OCIError.noImageLayout(root)
        }
        guard let digest = try resolve(reference) else {
            throw OCIError.imageNotFound(reference, in: root, tagged: try taggedNames())
        }
        let top = try json(digest)
        let mediaType = top["mediaType"]?.stringValue ?? ""
        if mediaType == OCIMediaType.imageManifest || top["layers"] != nil {
            // A single-manifest image (not what ig writes, but a valid OCI image).
            let data = try blob(digest)
            let manifest = try manifest(top, architecture: "unknown", os: nil, digest: digest, size: Int64(data.count))
            return StoredImage(reference: reference.description, digest: digest, mediaType: mediaType, annotations: nil, manifests: [manifest])
        }
        var manifests: [StoredManifest] = []
        for entry in top["manifests"]?.arrayValue ?? [] {
            guard let manifestDigest = entry["digest"]?.stringValue else { continue }
            let platform = entry["platform"]
            manifests.append(try manifest(try json(manifestDigest), architecture: platform?["architecture"]?.stringValue ?? "unknown",
                                          os: platform?["os"]?.stringValue, digest: manifestDigest, size: entry["size"]?.int64Value ?? 0))
        }
        return StoredImage(reference: reference.description, digest: digest, mediaType: mediaType,
                           annotations: top["annotations"]?.stringMap, manifests: manifests)
    }

    /// A blob's bytes, checked against its digest.
    public func blob(_ digest: String) throws -> Data {
        guard digest.hasPrefix("sha256:"), ImageReference.isValidDigest(digest) else {
            throw OCIError.corruptImageLayout(root.appendingPathComponent(OCILayoutFile.index), "unsupported digest \(digest)")
        }
        let url = blobsFolder.appendingPathComponent(String(digest.dropFirst("sha256:".count)))
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw OCIError.missingBlob(url, OCIError.reason(error))
        }
        let actual = "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        guard actual == digest else { throw OCIError.damagedBlob(url, actual: actual) }
        return data
    }

    /// Every name index.json tags, sorted.
    public func taggedNames() throws -> [String] {
        let index = try OCIIndexLock.withSharedLockIfPossible(in: root) { try readIndexForCheck() }
        return (index?["manifests"]?.arrayValue ?? []).compactMap { $0["annotations"]?[OCIAnnotation.refName]?.stringValue }.sorted()
    }

    private func json(_ digest: String) throws -> OCIJSON {
        let data = try blob(digest)
        do {
            return try OCIJSON.parse(data)
        } catch {
            throw OCIError.corruptImageLayout(blobsFolder.appendingPathComponent(String(digest.dropFirst("sha256:".count))), "\(error)")
        }
    }

    private func manifest(_ json: OCIJSON, architecture: String, os: String?, digest: String, size: Int64) throws -> StoredManifest {
        StoredManifest(architecture: architecture, os: os, digest: digest, size: size, artifactType: json["artifactType"]?.stringValue,
                       annotations: json["annotations"]?.stringMap, config: json["config"].flatMap(Self.descriptor),
                       layers: (json["layers"]?.arrayValue ?? []).compactMap(Self.descriptor))
    }

    private static func descriptor(_ json: OCIJSON) -> OCIDescriptorSummary? {
        guard let digest = json["digest"]?.stringValue else { return nil }
        return OCIDescriptorSummary(mediaType: json["mediaType"]?.stringValue ?? "", digest: digest, size: json["size"]?.int64Value ?? 0,
                                    annotations: json["annotations"]?.stringMap)
    }
}

extension OCIJSON {
    var int64Value: Int64? {
        if case .number(let text) = self { return Int64(text) }
        return nil
    }

    /// An object of strings (annotations) as a dictionary; nil for anything else.
    var stringMap: [String: String]? {
        guard case .object(let members) = self else { return nil }
        return Dictionary(members.compactMap { member in member.value.stringValue.map { (member.key, $0) } }, uniquingKeysWith: { $1 })
    }
}

extension OCIError {
    static func noImageLayout(_ root: URL) -> OCIError {
        OCIError(.notAnImageLayout,
                 "\(root.path) is not an OCI image layout (no index.json); name the layout a build wrote with --oci-layout DIR, or build the image first")
    }

    static func imageNotFound(_ reference: ImageReference, in root: URL, tagged: [String]) -> OCIError {
        let known = tagged.isEmpty ? "it tags no image" : "it has " + tagged.prefix(5).joined(separator: ", ") + (tagged.count > 5 ? " and \(tagged.count - 5) more" : "")
        return OCIError(.imageNotFound,
                        "no image \(reference) in \(root.path) (\(known)); build it with 'gadgetc build', or name the layout with --oci-layout DIR")
    }

    static func missingBlob(_ url: URL, _ reason: String) -> OCIError {
        OCIError(.corruptImageLayout, "cannot read blob \(url.path) (\(reason)); the image is incomplete: build or pull it again ('gadgetc store check' lists what is damaged)")
    }

    static func damagedBlob(_ url: URL, actual: String) -> OCIError {
        OCIError(.corruptImageLayout, "blob \(url.path) does not match its digest (its bytes hash to \(actual)); build or pull the image again ('gadgetc store check --repair' removes it)")
    }
}
