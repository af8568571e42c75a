import Foundation

/// A BTFHub archive on disk (github.com/aquasecurity/btfhub-archive's layout):
/// `<distro>/<version>/<arch>/<kernel>.btf.tar.xz`, each tarball holding `<kernel>.btf`. Plain
/// `<kernel>.btf` files are taken too (an archive someone unpacked). ig's runtime looks a kernel's BTF
/// up in the btfgen layer as `<ID>/<VERSION_ID>/<uname -m>/<uname -r>.btf` (from /etc/os-release and
/// uname), so each entry keeps its path relative to the archive's root.
public struct BTFHubArchive: Sendable {
    /// One kernel's BTF file in the archive.
    public struct Kernel: Hashable, Sendable {
        /// The file, absolute.
        public var path: String
        /// The entry name in the btfgen layer: the path relative to the archive, without `.tar.xz`.
        public var entryName: String
        /// Whether the file is a `.btf.tar.xz` to unpack first.
        public var isCompressed: Bool
        /// The BTF file's name inside the tarball (`<kernel>.btf`).
        public var btfFileName: String { URL(fileURLWithPath: entryName).lastPathComponent }
    }

    public let root: URL

    public init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL
    }

    /// Every kernel of `arch` (a folder named as BTFHub names the arch, at any depth), sorted by entry
    /// name, and every folder that was listed (a new kernel changes one of their listings).
    public func kernels(for arch: Architecture) throws -> (kernels: [Kernel], folders: [String]) {
        switch FileKind(path: root.path) {
        case .directory: break
        case .missing: throw BTFGenError.archiveMissing(root.path)
        case let kind: throw BTFGenError.archiveNotAFolder(root.path, kind.phrase)
        }
        var kernels: [Kernel] = []
        var folders: [String] = []
        var pending = [(path: root.path, relative: [String]())]
        while let (folder, relative) = pending.popLast() {
            folders.append(folder)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: folder)
            } catch {
                throw BTFGenError.archiveUnreadable(folder, FoundationErrorText.describe(error) ?? "\(error)")
            }
            for name in names where !name.hasPrefix(".") {
                let path = "\(folder)/\(name)"
                switch FileKind(path: path) {
                case .directory:
                    pending.append((path, relative + [name]))
                case .regular:
                    // ig matches the arch anywhere in the path (`find -iregex .*x86_64.*`); a folder of that name is BTFHub's layout.
                    guard relative.contains(where: { $0.lowercased() == arch.btfHubName }) else { continue }
                    let entry = (relative + [name]).joined(separator: "/")
                    if name.hasSuffix(".btf.tar.xz") {
                        kernels.append(Kernel(path: path, entryName: String(entry.dropLast(".tar.xz".count)), isCompressed: true))
                    } else if name.hasSuffix(".btf") {
                        kernels.append(Kernel(path: path, entryName: entry, isCompressed: false))
                    }
                default:
                    continue
                }
            }
        }
        // One entry per name: a plain .btf beside its own tarball is the same kernel (the tarball wins).
        var byName: [String: Kernel] = [:]
        for kernel in kernels where byName[kernel.entryName]?.isCompressed != true { byName[kernel.entryName] = kernel }
        let sorted = byName.values.sorted { Array($0.entryName.utf8).lexicographicallyPrecedes(Array($1.entryName.utf8)) }
        guard !sorted.isEmpty else { throw BTFGenError.noKernels(root.path, arch: arch) }
        return (sorted, folders.sorted())
    }

    /// Entries not at BTFHub's depth (`<distro>/<version>/<arch>/<kernel>.btf`): ig will not find them
    /// by the name it looks up, usually because the archive's root was not given.
    public static func misplaced(_ kernels: [Kernel]) -> [Kernel] {
        kernels.filter { $0.entryName.split(separator: "/").count != 4 }
    }
}
