import Foundation
import Testing
@testable import GadgetBuild

/// The btfgen layer's container format: a ustar archive whose bytes depend on the entries only.
@Suite struct DeterministicTarballTests {
    /// (name, type flag, size, mtime, uid, gid, mode) of every header, read back field by field.
    static func headers(_ archive: Data) -> [(name: String, type: UInt8, size: Int, mtime: Int, uid: Int, gid: Int, mode: Int)] {
        let bytes = [UInt8](archive)
        func text(_ offset: Int, _ length: Int) -> String {
            String(decoding: bytes[offset..<(offset + length)].prefix { $0 != 0 }, as: UTF8.self)
        }
        func octal(_ offset: Int, _ length: Int) -> Int { Int(text(offset, length).trimmingCharacters(in: .whitespaces), radix: 8) ?? -1 }
        var result: [(String, UInt8, Int, Int, Int, Int, Int)] = []
        var offset = 0
        while offset + 512 <= bytes.count, bytes[offset..<(offset + 512)].contains(where: { $0 != 0 }) {
            let prefix = text(offset + 345, 155)
            let name = prefix.isEmpty ? text(offset, 100) : prefix + "/" + text(offset, 100)
            let size = octal(offset + 124, 12)
            // The checksum covers the header with its own field read as spaces.
            var block = Array(bytes[offset..<(offset + 512)])
            block.replaceSubrange(148..<156, with: Array(repeating: UInt8(ascii: " "), count: 8))
            #expect(block.reduce(0) { $0 + Int($1) } == octal(offset + 148, 8), "checksum of \(name)")
            #expect(text(offset + 257, 6) == "ustar")
            result.append((name, bytes[offset + 156], size, octal(offset + 136, 12), octal(offset + 108, 8), octal(offset + 116, 8), octal(offset + 100, 8)))
            offset += 512 + (size + 511) / 512 * 512
        }
        return result
    }

    @Test func entriesAreSortedWithTheirFoldersAndNoOwnerOrTime() throws {
        let archive = try DeterministicTarball.tar([
            .init(name: "ubuntu/20.04/x86_64/5.4.0-1.btf", contents: Data("b".utf8)),
            .init(name: "centos/8/x86_64/4.18.0.btf", contents: Data(repeating: 7, count: 600)),
        ], modified: 42)
        let headers = Self.headers(archive)
        #expect(headers.map(\.name) == ["centos/", "centos/8/", "centos/8/x86_64/", "centos/8/x86_64/4.18.0.btf",
                                        "ubuntu/", "ubuntu/20.04/", "ubuntu/20.04/x86_64/", "ubuntu/20.04/x86_64/5.4.0-1.btf"])
        #expect(headers.allSatisfy { $0.mtime == 42 && $0.uid == 0 && $0.gid == 0 })
        #expect(headers.filter { $0.type == UInt8(ascii: "5") }.allSatisfy { $0.mode == 0o755 && $0.name.hasSuffix("/") })
        #expect(headers.filter { $0.type == UInt8(ascii: "0") }.map(\.size) == [600, 1])
        #expect(headers.filter { $0.type == UInt8(ascii: "0") }.allSatisfy { $0.mode == 0o644 })
        #expect(archive.count % 512 == 0)
        // The order the entries were given in does not matter.
        let reversed = try DeterministicTarball.tar([
            .init(name: "centos/8/x86_64/4.18.0.btf", contents: Data(repeating: 7, count: 600)),
            .init(name: "ubuntu/20.04/x86_64/5.4.0-1.btf", contents: Data("b".utf8)),
        ], modified: 42)
        #expect(reversed == archive)
    }

    @Test func aLongPathIsSplitIntoUstarsPrefix() throws {
        let name = String(repeating: "d", count: 120) + "/" + String(repeating: "k", count: 90) + ".btf"
        let headers = Self.headers(try DeterministicTarball.tar([.init(name: name, contents: Data())], modified: 0))
        #expect(headers.last?.name == name)
        #expect(throws: DeterministicTarball.Failure.self) {
            try DeterministicTarball.tar([.init(name: String(repeating: "x", count: 300), contents: Data())], modified: 0)
        }
    }

    @Test(arguments: ["/etc/passwd", "a/../b", "./a", "a//b", ""])
    func namesLeavingTheArchiveAreRefused(_ name: String) {
        #expect(throws: DeterministicTarball.Failure.self) { try DeterministicTarball.tar([.init(name: name, contents: Data())], modified: 0) }
    }

    @Test func gzipHasNoTimeAndTheSameBytesEveryTime() throws {
        let entries = [DeterministicTarball.Entry(name: "a/b.btf", contents: Data(repeating: 1, count: 10_000))]
        let first = try DeterministicTarball.gzipped(entries, modified: 0)
        let second = try DeterministicTarball.gzipped(entries, modified: 0)
        #expect(first == second)
        let bytes = [UInt8](first)
        #expect(bytes.prefix(3) == [0x1f, 0x8b, 8])
        #expect(bytes[4..<8].allSatisfy { $0 == 0 }, "no modification time in the gzip header")
        #expect(bytes[3] == 0, "no file name in the gzip header")
        #expect(first.count < 10_000)
    }
}

/// ig's pkg/oci/build.go: per arch, the layers are the eBPF object, the wasm module, then the btfgen tarball.
@Suite struct BTFGenLayerTests {
    @Test func eachArchsTarballIsTheLastLayerOfItsManifest() throws {
        let scratch = try OCIScratch()
        defer { scratch.remove() }
        var content = try scratch.content()
        content.btfgen = ["amd64": try scratch.file("btfs-x86_64.tar.gz", "x86 btfs"), "arm64": try scratch.file("btfs-arm64.tar.gz", "arm btfs")]
        let image = try OCIGadgetImage(content)
        for (arch, expected) in [("amd64", "x86 btfs"), ("arm64", "arm btfs")] {
            let manifestBlob = try #require(image.blobs.first { $0.digest == image.manifests[arch] })
            let layers = try #require(try OCIJSON.parse(manifestBlob.data)["layers"]?.arrayValue)
            #expect(layers.map { $0["mediaType"]?.stringValue } == [
                "application/vnd.gadget.ebpf.program.v1+binary", "application/vnd.gadget.wasm.program.v1+binary",
                "application/vnd.gadget.btfgen.v1+binary",
            ])
            let btfs = try #require(image.blobs.first { $0.digest == layers[2]["digest"]?.stringValue })
            #expect(String(decoding: btfs.data, as: UTF8.self) == expected)
        }
    }
}
