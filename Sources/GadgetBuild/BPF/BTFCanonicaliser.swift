import CLibbpf
import Foundation

/// Renumbers a linked object's BTF so that its bytes are a function of the type graph alone.
///
/// clang emits the same types in a different order with a precompiled vmlinux.h than without
/// one (and, by the 2026-12 review, with `-include-pch` in an order that can vary with address-space
/// layout); libbpf's linker keeps that order. After the link, the types are put in
/// `BTFCanonicalOrder`, every type id in .BTF and .BTF.ext is renumbered, and the string table is
/// rebuilt in a canonical order: strings as the new type records first name them, then those
/// .BTF.ext names (file names, source lines, section names, CO-RE access strings) in its own
/// order, then any string nothing refers to, sorted. The sections keep their sizes and offsets —
/// unless a path map rewrites the file names line info records (`DebugPathMap`): then .BTF takes
/// the size of its new strings and the file is laid out again (`ELFRelayout`).
///
/// One more place holds a type id: the instruction of a CO-RE "type id" relocation
/// (`bpf_core_type_id_local/kernel`) carries the local id as its immediate. libbpf does not check
/// it (the linker leaves it stale), cilium/ebpf does; it is set to the new id.
public enum BTFCanonicaliser {
    public struct Report: Equatable, Sendable {
        /// Types in the object's .BTF (0 when it has none).
        public var typeCount: Int
        /// Whether the bytes changed (false: the object was already canonical, or has no BTF).
        public var changed: Bool
        /// Types that share their final rank with another (see `BTFCanonicalOrder`).
        public var indistinguishableTypes: Int
    }

    struct Result {
        var btf: [UInt8]
        var ext: [UInt8]?
        /// Type-id relocations: the instruction (section name, byte offset) and the new type id.
        var typeIDInstructions: [(section: String, offset: Int, typeID: UInt32)]
        var report: Report
    }

    /// Canonicalises the BTF of the object at `url` in place (for objects not made by `BPFLinker`,
    /// which does it on every link).
    public static func canonicaliseObject(_ url: URL) throws -> Report {
        try BPFError.checkELF(url, for: .link)
        return try LibbpfSession.run { session in try rewrite(url, reportingAs: url, session: &session) }
    }

    /// Rewrites `file` in place (same size without a path map); errors name `output`.
    static func rewrite(_ file: URL, reportingAs output: URL, pathMap: [DebugPathMapping] = [],
                        session: inout LibbpfSession) throws -> Report {
        func failure(_ reason: String) -> BPFError {
            BPFError(.link, file: output.path, reason: "canonicalising its BTF: \(reason)", libbpfMessages: session.collect())
        }
        let bytes: [UInt8]
        do { bytes = [UInt8](try Data(contentsOf: file)) } catch { throw failure("cannot read the linked object (\(error))") }
        var rewritten = bytes
        let result: Result
        do {
            let table = try ELFSectionTable(bytes)
            guard let btf = table.section(named: ".BTF") else { return Report(typeCount: 0, changed: false, indistinguishableTypes: 0) }
            let ext = table.section(named: ".BTF.ext")
            for section in [btf, ext].compactMap({ $0 }) where !table.relocations(against: section.index).isEmpty {
                throw BTFFormatError("\(section.name) has relocations (an object not yet linked?)")
            }
            let map = DebugPathMap(pathMap)
            result = try canonicalise(btf: Array(bytes[btf.range]), ext: ext.map { Array(bytes[$0.range]) }, pathMap: map)
            guard result.ext?.count ?? 0 == ext?.range.count ?? 0 else { throw BTFFormatError("the rewritten .BTF.ext changed size") }
            for instruction in result.typeIDInstructions {
                guard let section = table.section(named: instruction.section) else { continue }
                setImmediate(instruction.typeID, of: section.range.lowerBound + instruction.offset, in: &rewritten, within: section.range)
            }
            if let ext, let newExt = result.ext { rewritten.replaceSubrange(ext.range, with: newExt) }
            if result.btf.count == btf.range.count {
                rewritten.replaceSubrange(btf.range, with: result.btf)
            } else {
                guard !map.isEmpty else { throw BTFFormatError("the rewritten .BTF changed size") }
                rewritten = try ELFRelayout.relayout(rewritten, replacing: [btf.index: result.btf])
            }
        } catch let error as BTFFormatError {
            throw failure(error.description)
        }
        guard rewritten != bytes else { return Report(typeCount: result.report.typeCount, changed: false, indistinguishableTypes: result.report.indistinguishableTypes) }
        let parsed = result.btf.withUnsafeBytes { btf__new($0.baseAddress, UInt32($0.count)) }
        guard let parsed else { throw failure("libbpf does not accept the rewritten .BTF (\(BPFError.describe(errno: errno)))") }
        btf__free(parsed)

        let descriptor = open(file.path, O_WRONLY | O_CLOEXEC | (rewritten.count == bytes.count ? 0 : O_TRUNC))
        guard descriptor >= 0 else { throw failure("cannot open it for writing (\(BPFError.describe(errno: errno)))") }
        defer { close(descriptor) }
        let written = rewritten.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == rewritten.count else {
            throw failure("cannot write it (\(written < 0 ? BPFError.describe(errno: errno) : "short write"))")
        }
        var report = result.report
        report.changed = true
        return report
    }

    /// Sets the 32-bit immediate of the instruction at `offset` when it is one a type-id relocation
    /// patches (a 64-bit immediate load, or a 32/64-bit move of an immediate); leaves others alone.
    private static func setImmediate(_ value: UInt32, of offset: Int, in bytes: inout [UInt8], within section: Range<Int>) {
        guard offset >= section.lowerBound, offset + 8 <= section.upperBound else { return }
        switch bytes[offset] {
        case 0x18:  // BPF_LD | BPF_IMM | BPF_DW: the upper half is the next instruction's immediate
            guard offset + 16 <= section.upperBound else { return }
            bytes.setU32(value, at: offset + 4)
            bytes.setU32(0, at: offset + 12)
        case 0xB7, 0xB4:  // BPF_ALU64 / BPF_ALU | BPF_MOV | BPF_K
            bytes.setU32(value, at: offset + 4)
        default:
            break
        }
    }
}
