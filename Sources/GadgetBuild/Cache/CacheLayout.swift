import Foundation

/// The names gadgetc gives what it writes in its cache. Maintenance lists and removes only files
/// that match them, so a cache folder that also holds other files never loses those:
///
///     CACHEDIR.TAG, last-prune
///     objects/<2 hex>/<64 hex>                content-addressed objects, under their digest's first two characters
///     records/<2 hex>/<64 hex>                compile and link records, by key, the same way
///     pch/<24 hex>-<arch>.pch                 precompiled vmlinux.h; `<that>.lock` while one is being built,
///                                             `<that>.seal` its fingerprint and digest (PrecompiledHeaderSeal)
///     pch/<24 hex>-<arch>-<8 hex>.pch.tmp     clang's temporary file while it writes a PCH
///     vmlinux/<16 hex>/<arch>/vmlinux.h       vmlinux.h generated from a kernel's BTF, and its `vmlinux.h.seal`
///     probe/compilers.json                    compiler identities
///     builds/<64 hex>                         build records (left alone: one small file per request)
///     remote-stats.json, remote-stats.lock    the team cache's running totals (`cache stats`)
///     wasm/cargo/<16 hex>/, wasm/cargo-builder/<16 hex>/, wasm/go-build/
///                                             the wasm toolchains' own caches (CARGO_TARGET_DIR per crate, the
///                                             builder's GOCACHE): left to the toolchains, not trimmed by prune
///
/// and, beside any of them, gadgetc's temporaries `.<name>.tmp-<pid>-<random>` (`TemporaryName`).
/// Symbolic links and folders are never entries; folders are only descended by these names.
enum CacheLayout {
    /// The parts maintenance looks after, in `gadgetc cache stats` order.
    static let parts = ["objects", "records", "pch", "vmlinux", "probe"]
    /// Everything gadgetc puts at the cache's root.
    static let rootNames: Set<String> = Set(parts + ["builds", "wasm", "remote-stats.json", "remote-stats.lock", "CACHEDIR.TAG", "last-prune"])
    /// Parts whose files sit in a folder named by the first two characters of their own name.
    static let fannedOut: Set<String> = ["objects", "records"]

    enum Kind: Equatable {
        case object, record, precompiledHeader, vmlinux, compilers
        /// `<pch>.lock`: made while a background clang builds that PCH, left behind afterwards.
        case precompiledHeaderLock
        /// clang's own temporary beside a PCH it is writing; its writer is unknown.
        case clangTemporary
        /// gadgetc's temporary, by the process that writes it.
        case temporary(pid: pid_t)
    }

    struct Entry {
        var path: String
        var kind: Kind
        var size: Int64
        var modified: Date
    }

    /// Every entry of `part` under `root` that gadgetc's names vouch for.
    static func entries(of part: String, in root: URL) -> [Entry] {
        let folder = root.appendingPathComponent(part).path
        switch part {
        case "objects", "records":
            let kind: Kind = part == "objects" ? .object : .record
            return subfolders(of: folder, where: { isHex($0, count: 2) }).flatMap { fan -> [Entry] in
                let prefix = (fan as NSString).lastPathComponent
                return files(in: fan) { name in
                    isHex(name, count: 64) && name.hasPrefix(prefix) ? kind : nil
                }
            }
        case "pch":
            return files(in: folder, kind: precompiledHeaderKind)
        case "vmlinux":
            return subfolders(of: folder, where: { isHex($0, count: 16) })
                .flatMap { subfolders(of: $0, where: isArchitecture) }
                .flatMap { files(in: $0) { $0 == "vmlinux.h" || $0 == "vmlinux.h.seal" ? .vmlinux : nil } }
        case "probe":
            return files(in: folder) { $0 == "compilers.json" ? .compilers : nil }
        default:
            return []
        }
    }

    /// A PCH, its lock or clang's temporary for it, by name.
    static func precompiledHeaderKind(_ name: String) -> Kind? {
        guard name.utf8.count > 25, isHex(String(name.prefix(24)), count: 24), name.dropFirst(24).first == "-" else { return nil }
        let rest = name.dropFirst(25)  // "<arch>.pch", "<arch>.pch.lock" or clang's "<arch>-<8 hex>.pch.tmp"
        for arch in Architecture.allCases.map(\.rawValue) where rest.hasPrefix(arch) {
            let tail = rest.dropFirst(arch.count)
            // A seal goes with its PCH: a PCH without one, or a seal alone, is never used.
            if tail == ".pch" || tail == ".pch.seal" { return .precompiledHeader }
            if tail == ".pch.lock" { return .precompiledHeaderLock }
            // clang writes the output's name with "-%%%%%%%%" before its extension and ".tmp" after it.
            if tail.hasPrefix("-"), tail.hasSuffix(".pch.tmp"), isHex(String(tail.dropFirst().dropLast(8)), count: 8) { return .clangTemporary }
        }
        return nil
    }

    /// The regular files of `folder` whose names `kind` recognises, and gadgetc's temporaries of such names.
    static func files(in folder: String, kind: (String) -> Kind?) -> [Entry] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.compactMap { name -> Entry? in
            let entryKind: Kind
            if let direct = kind(name) {
                entryKind = direct
            } else if let temporary = TemporaryName(parsing: name), let target = kind(temporary.target),
                      target != .precompiledHeaderLock, target != .clangTemporary {
                entryKind = .temporary(pid: temporary.pid)
            } else {
                return nil
            }
            let path = folder + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
            return Entry(path: path, kind: entryKind, size: Int64(info.st_size), modified: modified)
        }
    }

    /// The real folders (not links to folders) in `folder` whose names pass `accept`.
    static func subfolders(of folder: String, where accept: (String) -> Bool) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        return names.filter(accept).map { folder + "/" + $0 }.filter { path in
            var info = stat()
            return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
        }
    }

    static func isHex(_ name: String, count: Int) -> Bool {
        name.utf8.count == count && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func isArchitecture(_ name: String) -> Bool { Architecture(rawValue: name) != nil }

    /// Whether `name`, at the cache's root, is something gadgetc puts there (or its temporary).
    static func isRootName(_ name: String) -> Bool {
        rootNames.contains(name) || TemporaryName(parsing: name).map { rootNames.contains($0.target) } == true
    }
}
