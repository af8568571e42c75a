import Foundation

/// `gadgetc cache push-local`: seeds the team's cache from this machine's: every compile the local cache
/// holds with its portable key (made since gadgetc keeps one) whose entry the registry lacks.
public struct RemoteCachePush: Sendable {
    public struct Summary: Codable, Equatable, Sendable {
        public var pushed = 0
        /// Already in the registry under the same key.
        public var present = 0
        /// Local records without a portable key (made by an older gadgetc, or by a compile whose compiler was never identified).
        public var withoutKey = 0
        /// The object is gone from the local store, or the upload failed.
        public var failed = 0
        /// Bytes sent: blobs the registry mounted from another repository (or had) are not.
        public var bytesUp = 0
        /// Blobs mounted from another repository instead of sent.
        public var mounted = 0
    }

    let cache: CacheLocation
    let remote: RemoteCache

    public init(cache: CacheLocation, remote: RemoteCache) {
        self.cache = cache
        self.remote = remote
    }

    public func run(progress: @Sendable (String) -> Void = { _ in }) async -> Summary {
        var summary = Summary()
        let entries = CacheLayout.entries(of: "records", in: cache.root)
        let objects = ObjectStore(root: cache.root.appendingPathComponent("objects"))
        var done = 0
        for entry in entries {
            done += 1
            if done % 50 == 0 { progress("push-local: \(done)/\(entries.count) records") }
            guard let data = FileManager.default.contents(atPath: entry.path),
                  let record = try? JSONDecoder().decode(CompileRecord.self, from: data) else { continue }  // link records are not shared
            guard let portable = record.portable else {
                summary.withoutKey += 1
                continue
            }
            guard remote.isEnabled else {
                summary.failed += 1
                continue
            }
            if let (status, _) = await remote.request(.HEAD, "manifests/\(portable.key)", accept: RemoteCache.manifestType), status == 200 {
                summary.present += 1
                continue
            }
            guard case .hit(let object) = objects.get(record.object) else {
                summary.failed += 1
                continue
            }
            let paths = PortablePaths(folders: portable.folders)
            let shared = RemoteCompileRecord(
                dependencies: record.dependencies.filter { !$0.path.hasSuffix(".pch") }.map { .init(path: paths.portable($0.path), digest: $0.digest) },
                object: "sha256:" + record.object, folders: portable.folders, milliseconds: portable.milliseconds,
                warnings: record.warnings)
            let before = remote.statistics
            await remote.upload(key: portable.key, record: shared, object: object)
            let after = remote.statistics
            if after.uploads > before.uploads {
                summary.pushed += 1
                summary.bytesUp += after.bytesUp - before.bytesUp
                summary.mounted += after.mounts - before.mounts
            } else {
                summary.failed += 1
            }
        }
        return summary
    }
}
