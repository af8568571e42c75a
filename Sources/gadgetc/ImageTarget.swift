import Foundation
import GadgetBuild

/// How `inspect`, `verify` and `store` read their target: a file, or an image in ig's store.
enum ImageTarget {
    /// ig's store (as ig finds it for this user), or the OCI layout the user named.
    static func store(layout: String?) -> OCIImageStore {
        layout.map { OCIImageStore(root: URL(fileURLWithPath: $0)) }
            ?? OCIImageStore.defaultStore(environment: ProcessInfo.processInfo.environment, isRoot: geteuid() == 0)
    }

    /// A target that does not exist is read as an image name, unless it can only be a path
    /// (`./x`, `/x`, `dir/x.o`): then it is a missing file.
    static func isOnlyAPath(_ target: String) -> Bool {
        target.contains("/") && (target.hasPrefix(".") || target.hasPrefix("/") || target.hasSuffix(".o"))
    }
}
