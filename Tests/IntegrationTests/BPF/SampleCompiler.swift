import Foundation
@testable import GadgetBuild

/// Compiles the sample gadgets' sources with the host's clang on ig's compile line, with or without
/// a precompiled vmlinux.h (generated from the running kernel's BTF), optionally without address
/// space randomisation (`setarch -R`).
final class SampleCompiler {
    static let clang: URL? = {
        let debian = URL(fileURLWithPath: "/usr/bin/clang-16")
        return FileManager.default.isExecutableFile(atPath: debian.path) ? debian : BPFTestBench.clang
    }()
    static let kernelBTF = URL(fileURLWithPath: "/sys/kernel/btf/vmlinux")
    static let bpftool = "/usr/sbin/bpftool"

    static var available: Bool {
        let ready = clang != nil && FileManager.default.isReadableFile(atPath: kernelBTF.path)
        if !ready { print("skipping: needs clang and \(kernelBTF.path)") }
        return ready
    }

    static var hasBpftool: Bool { FileManager.default.isExecutableFile(atPath: bpftool) }

    let root: URL
    /// The folder holding `<arch>/vmlinux.h`'s arch folder, passed with -I.
    let headers: URL
    let pch: URL
    private let flags: [String]

    init() throws {
        root = try BPFTestBench.makeDirectory()
        let arch = BPFTestBench.multiarchInclude.contains("aarch64") ? ("arm64", "arm64") : ("amd64", "x86")
        headers = root.appendingPathComponent(arch.0)
        try FileManager.default.createDirectory(at: headers, withIntermediateDirectories: true)
        try VmlinuxHeader.generate(fromBTF: Self.kernelBTF, to: headers.appendingPathComponent("vmlinux.h"))
        flags = ["-target", "bpf", "-Wall", "-g", "-O2", "-I\(BPFTestBench.multiarchInclude)", "-D", "__TARGET_ARCH_\(arch.1)"]
        pch = root.appendingPathComponent("vmlinux.pch")
        try run(flags + ["-x", "c-header", headers.appendingPathComponent("vmlinux.h").path, "-fpch-validate-input-files-content", "-o", pch.path])
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    static func sources(of sample: String) throws -> [URL] {
        let folder = Fixtures.samples.appendingPathComponent(sample)
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bpf.c") }.sorted()
            .map { folder.appendingPathComponent($0) }
    }

    /// Compiles `source` to `output`; with the PCH only if gadgetc would use it for this source.
    /// Returns whether the PCH was used.
    @discardableResult
    func compile(_ source: URL, to output: URL, usePCH: Bool, withoutASLR: Bool = false) throws -> Bool {
        let text = try String(contentsOf: source, encoding: .utf8)
        let withPCH = usePCH && PrecompiledHeader.sourceStartsWithVmlinux(text)
        let includes = ["-I", headers.path + "/", "-I", Fixtures.bundledHeaders, "-I", Fixtures.repository.appendingPathComponent("bpf/compat").path]
        try run(flags + (withPCH ? ["-include-pch", pch.path, "-fpch-validate-input-files-content"] : [])
                + ["-c", source.path] + includes + ["-o", output.path], withoutASLR: withoutASLR)
        return withPCH
    }

    /// Compiles every source of `sample` into `folder` (named NAME.LABEL.o) and links them with
    /// `BPFLinker` into folder/SAMPLE.LABEL.bpf.o; also returns the compiled objects.
    func build(_ sample: String, label: String, in folder: URL, usePCH: Bool, withoutASLR: Bool = false) throws -> (linked: URL, objects: [URL]) {
        var objects: [URL] = []
        for source in try Self.sources(of: sample) {
            let object = folder.appendingPathComponent("\(sample).\(source.deletingPathExtension().deletingPathExtension().lastPathComponent).\(label).o")
            try compile(source, to: object, usePCH: usePCH, withoutASLR: withoutASLR)
            objects.append(object)
        }
        let linked = folder.appendingPathComponent("\(sample).\(label).bpf.o")
        try BPFLinker.link(objects, into: linked)
        return (linked, objects)
    }

    private func run(_ arguments: [String], withoutASLR: Bool = false) throws {
        let run = try Fixtures.runBlocking(withoutASLR ? "/usr/bin/setarch" : Self.clang!.path, (withoutASLR ? ["-R", Self.clang!.path] : []) + arguments)
        guard run.status == 0 else {
            throw BPFTestBench.CompileFailure(description: "clang failed: \(String(decoding: run.errors, as: UTF8.self))")
        }
    }

    /// `bpftool gen object OUTPUT INPUTS…`: libbpf's linker without gadgetc's canonical order.
    static func bpftoolLink(_ inputs: [URL], into output: URL) throws {
        _ = try runBpftool(["gen", "object", output.path] + inputs.map(\.path))
    }

    /// `bpftool btf dump file OBJECT` as one string per type with its id removed and each type id
    /// it names replaced by that type's kind and name, sorted: equal for two numberings of the
    /// same types.
    static func btfDumpWithoutIDs(_ object: URL) throws -> [String] {
        let text = try runBpftool(["btf", "dump", "file", object.path])
        var entries: [(id: String, lines: [String])] = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                entries.append((String(line[line.index(after: line.startIndex)..<close]), [String(line[line.index(close, offsetBy: 2)...])]))
            } else if !entries.isEmpty {
                entries[entries.count - 1].lines.append(line)
            }
        }
        var headline: [String: String] = [:]
        for entry in entries {
            // "KIND 'name' …" → "KIND 'name'" (names may hold spaces: 'unsigned int').
            let line = entry.lines[0]
            let quotes = line.indices.filter { line[$0] == "'" }.prefix(2)
            headline[entry.id] = quotes.count == 2 ? String(line[..<line.index(after: quotes.last!)]) : line
        }
        let reference = try NSRegularExpression(pattern: "type_id=([0-9]+)")
        return entries.map { entry in
            entry.lines.map { line in
                var result = line
                for match in reference.matches(in: line, range: NSRange(line.startIndex..., in: line)).reversed() {
                    let id = String(line[Range(match.range(at: 1), in: line)!])
                    result.replaceSubrange(Range(match.range(at: 1), in: result)!, with: "<\(headline[id] ?? id)>")
                }
                return result
            }.joined(separator: "\n")
        }.sorted()
    }

    private static func runBpftool(_ arguments: [String]) throws -> String {
        let run = try Fixtures.runBlocking(bpftool, arguments)
        guard run.status == 0 else {
            throw BPFTestBench.CompileFailure(description: "bpftool \(arguments.joined(separator: " ")) failed")
        }
        return String(decoding: run.output, as: UTF8.self)
    }
}
