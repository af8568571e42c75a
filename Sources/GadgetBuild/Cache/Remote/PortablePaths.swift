import Foundation

/// One build's folders named as every machine names them, for cache keys and records that another
/// checkout, user or machine can share: the gadget folder is `$GADGET`, vmlinux.h's folder `$VMLINUX`,
/// gadgetc's gadget headers `$GADGETC_HEADERS`, its libbpf overlay `$GADGETC_COMPAT`, each `-I` folder
/// `$INCLUDE<n>`. Other paths (the system's /usr/include) stay as they are: the digests of the files
/// read are in the record, so a machine with other headers there misses, as it must.
public struct PortablePaths: Codable, Hashable, Sendable {
    /// Placeholder → this machine's folder.
    public var folders: [String: String]

    public init(folders: [String: String]) {
        self.folders = folders.mapValues { folder in
            var folder = folder
            while folder.count > 1, folder.hasSuffix("/") { folder.removeLast() }
            return folder
        }
    }

    /// `path` with the longest matching folder (whole components) replaced by its placeholder.
    public func portable(_ path: String) -> String {
        let match = folders.filter { _, folder in folder != "/" && (path == folder || path.hasPrefix(folder + "/")) }
            .max { $0.value.count < $1.value.count || ($0.value.count == $1.value.count && $0.key > $1.key) }
        guard let (placeholder, folder) = match else { return path }
        return placeholder + path.dropFirst(folder.count)
    }

    /// A portable path as this machine has it; nil for a placeholder this build does not have.
    public func host(_ portable: String) -> String? {
        guard portable.hasPrefix("$") else { return portable }
        let name = String(portable.prefix { $0 != "/" })
        guard let folder = folders[name] else { return nil }
        return folder + portable.dropFirst(name.count)
    }

    /// A command-line argument with its path made portable: a path, or `-I` glued to one.
    public func portableArgument(_ argument: String) -> String {
        if argument.hasPrefix("-I/") { return "-I" + portable(String(argument.dropFirst(2))) }
        return argument.hasPrefix("/") ? portable(argument) : argument
    }
}
