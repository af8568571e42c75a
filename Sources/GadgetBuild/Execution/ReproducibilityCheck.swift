import Foundation

/// `gadgetc build --check-reproducible`: builds a gadget a second time in other conditions — a copy of
/// the folder at another path, an empty cache, no precompiled header, one job at a time — with the
/// same creation time, and compares the two images; when their digests differ, says where: which
/// arch, which layer, which ELF sections, which annotations.
public struct ReproducibilityCheck: Sendable {
    public struct Report: Codable, Sendable {
        public var gadget: String
        public var first: String
        public var second: String
        public var conditions: [String]
        public var differences: [String]
        public var reproducible: Bool { first == second }
    }

    let environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Builds `request` again in other conditions and compares the result with `first` (which must have
    /// been built with SOURCE_DATE_EPOCH set, so that both have one creation time).
    public func run(_ request: BuildRequest, first: BuildOutcome) async throws -> Report {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gadgetc-recheck-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let folder = URL(fileURLWithPath: first.gadget)
        let copy = scratch.appendingPathComponent("elsewhere/checkout").appendingPathComponent(folder.lastPathComponent)
        do {
            try CacheLocation.createFolders(copy.deletingLastPathComponent())
            try FileManager.default.copyItem(at: folder, to: copy)
        } catch {
            throw ExecutionError.step("cannot copy \(folder.path) for the second build: \(FoundationErrorText.describe(error) ?? "\(error)")")
        }
        var second = request
        second.gadgetFolder = copy.path
        if let file = request.buildFile {
            let path = URL(fileURLWithPath: file).standardizedFileURL.path
            if path.hasPrefix(folder.path + "/") { second.buildFile = copy.path + path.dropFirst(folder.path.count) }
        }
        second.tag = first.image
        second.ociLayout = scratch.appendingPathComponent("layout").path
        second.outputDirectory = nil
        second.updateMetadata = false
        var variables = environment
        variables["GADGETC_CACHE_DIR"] = scratch.appendingPathComponent("cache").path
        variables["GADGETC_PCH"] = "off"
        let driver = BuildDriver(host: LiveHost(environment: variables), slots: JobSlots(1),
                                 precompiledHeaders: PrecompiledHeaderBuilds(startsAfterEachBuild: false))
        let outcome = try await driver.build(second)
        var report = Report(gadget: first.gadget, first: first.digest, second: outcome.digest,
                            conditions: ["the gadget copied to \(copy.path)", "an empty cache", "no precompiled header", "-j 1"],
                            differences: [])
        if !report.reproducible {
            report.differences = ImageDifference.describe(first: OCIImageStore(root: URL(fileURLWithPath: first.destination)), first.digest,
                                                          second: OCIImageStore(root: URL(fileURLWithPath: outcome.destination)), outcome.digest)
        }
        return report
    }
}

/// Where two gadget images differ, from the index down to the ELF sections of their programs.
enum ImageDifference {
    static func describe(first: OCIImageStore, _ a: String, second: OCIImageStore, _ b: String) -> [String] {
        guard let indexA = json(first, a), let indexB = json(second, b) else { return ["an image index could not be read"] }
        var lines = annotations("image index", indexA, indexB)
        let manifestsA = byArch(indexA), manifestsB = byArch(indexB)
        for arch in Set(manifestsA.keys).union(manifestsB.keys).sorted() {
            guard let ma = manifestsA[arch], let mb = manifestsB[arch] else { lines.append("[\(arch)] only one image has this arch"); continue }
            guard ma != mb, let manifestA = json(first, ma), let manifestB = json(second, mb) else { continue }
            lines += annotations("[\(arch)] manifest", manifestA, manifestB)
            if manifestA["config"]?["digest"]?.stringValue != manifestB["config"]?["digest"]?.stringValue {
                lines.append("[\(arch)] the config (gadget.yaml) differs")
            }
            let layersA = manifestA["layers"]?.arrayValue ?? [], layersB = manifestB["layers"]?.arrayValue ?? []
            for (layerA, layerB) in zip(layersA, layersB) {
                let (da, db) = (layerA["digest"]?.stringValue ?? "", layerB["digest"]?.stringValue ?? "")
                guard da != db else { continue }
                let kind = layerA["mediaType"]?.stringValue ?? "layer"
                var line = "[\(arch)] layer \(kind) differs (\(da.prefix(19))… vs \(db.prefix(19))…)"
                if kind == GadgetMediaType.eBPFProgram, let bytesA = blob(first, da), let bytesB = blob(second, db) {
                    line += ": " + sections(bytesA, bytesB)
                }
                lines.append(line)
            }
            if layersA.count != layersB.count { lines.append("[\(arch)] \(layersA.count) layers against \(layersB.count)") }
        }
        return lines.isEmpty ? ["the image indexes differ in bytes only"] : lines
    }

    /// The ELF sections whose bytes differ, with their sizes.
    static func sections(_ a: Data, _ b: Data) -> String {
        guard let tableA = try? ELFSectionTable([UInt8](a)), let tableB = try? ELFSectionTable([UInt8](b)) else { return "not ELF objects" }
        let bytesA = [UInt8](a), bytesB = [UInt8](b)
        var named: [String: ArraySlice<UInt8>] = [:]
        for section in tableB.sections { named[section.name] = bytesB[section.range] }
        var differing: [String] = []
        for section in tableA.sections {
            let mine = bytesA[section.range]
            guard let theirs = named.removeValue(forKey: section.name) else { differing.append("\(section.name) (only in the first)"); continue }
            if mine != theirs { differing.append(mine.count == theirs.count ? "\(section.name) (\(mine.count) bytes)" : "\(section.name) (\(mine.count) vs \(theirs.count) bytes)") }
        }
        differing += named.keys.sorted().map { "\($0) (only in the second)" }
        return differing.isEmpty ? "same sections, other layout" : "sections " + differing.joined(separator: ", ")
    }

    static func annotations(_ what: String, _ a: OCIJSON, _ b: OCIJSON) -> [String] {
        guard case .object(let membersA)? = a["annotations"], case .object(let membersB)? = b["annotations"] else { return [] }
        let valuesA = Dictionary(membersA.map { ($0.key, $0.value.stringValue ?? "") }, uniquingKeysWith: { $1 })
        let valuesB = Dictionary(membersB.map { ($0.key, $0.value.stringValue ?? "") }, uniquingKeysWith: { $1 })
        return Set(valuesA.keys).union(valuesB.keys).sorted().compactMap { key in
            valuesA[key] == valuesB[key] ? nil : "\(what) annotation \(key): \(valuesA[key] ?? "none") vs \(valuesB[key] ?? "none")"
        }
    }

    static func byArch(_ index: OCIJSON) -> [String: String] {
        var result: [String: String] = [:]
        for entry in index["manifests"]?.arrayValue ?? [] {
            if let arch = entry["platform"]?["architecture"]?.stringValue, let digest = entry["digest"]?.stringValue { result[arch] = digest }
        }
        return result
    }

    static func blob(_ store: OCIImageStore, _ digest: String) -> Data? {
        FileManager.default.contents(atPath: store.blobPath(digest))
    }

    static func json(_ store: OCIImageStore, _ digest: String) -> OCIJSON? {
        blob(store, digest).flatMap { try? OCIJSON.parse($0) }
    }
}
