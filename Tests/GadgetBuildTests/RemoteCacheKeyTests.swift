import Foundation
import Testing
@testable import GadgetBuild

/// What the team cache's keys are made of: the same on every machine for the same command and files,
/// different for any change that can change the object.
@Suite struct RemoteCacheKeyTests {
    let layout = IncludeLayout(multiarchDirectory: "/usr/include/x86_64-linux-gnu", gadgetHeadersRoot: nil, libbpfCompatDirectory: nil, userDirectories: [])

    func paths(_ home: String) -> PortablePaths {
        PortablePaths(folders: ["$GADGET": "\(home)/src/trace", "$VMLINUX": "\(home)/.cache/gadgetc/vmlinux/ab/amd64", "$GADGETC_HEADERS": "\(home)/gadgetc/bpf/include"])
    }

    func key(_ home: String, clang: String = "/usr/bin/clang-16", pch: String? = nil, arch: Architecture = .amd64,
             compiler: String = "clang Debian clang version 16.0.6") -> String {
        let extended = IncludeLayout(multiarchDirectory: "/usr/include/x86_64-linux-gnu", gadgetHeadersRoot: "\(home)/gadgetc/bpf/include",
                                     libbpfCompatDirectory: nil, userDirectories: [])
        var invocation = ClangInvocation.igCompile(clang: clang, arch: arch, source: "program.bpf.c", output: "/tmp/\(UUID())/o.bpf.o",
                                                   vmlinuxDirectory: "\(home)/.cache/gadgetc/vmlinux/ab/\(arch)", layout: extended)
        invocation.depfile = "/tmp/\(UUID())/o.d"
        invocation.precompiledHeader = pch
        return PortableCompile.key(invocation, compiler: compiler, paths: paths(home))
    }

    @Test func movingTheCheckoutOrTheHomeFolderKeepsTheKey() {
        #expect(key("/home/ann") == key("/home/bob/work"))
        #expect(key("/home/ann", clang: "/usr/bin/clang-16") == key("/home/bob", clang: "/opt/llvm/bin/clang"))
    }

    @Test func thePrecompiledHeaderIsNotPartOfTheKey() {
        #expect(key("/home/ann", pch: "/home/ann/.cache/gadgetc/pch/1-amd64.pch") == key("/home/bob"))
    }

    @Test func theCompilerAndTheArchAreInIt() {
        #expect(key("/home/ann") != key("/home/ann", compiler: "clang Debian clang version 18.1.8"))
        #expect(key("/home/ann") != key("/home/ann", arch: .arm64))
    }

    @Test func pathsMapBothWaysByWholeComponents() {
        let paths = paths("/home/ann")
        #expect(paths.portable("/home/ann/src/trace/program.bpf.c") == "$GADGET/program.bpf.c")
        #expect(paths.portable("/home/ann/src/trace2/x.h") == "/home/ann/src/trace2/x.h")
        #expect(paths.portable("/usr/include/linux/bpf.h") == "/usr/include/linux/bpf.h")
        #expect(paths.portableArgument("-I/home/ann/gadgetc/bpf/include") == "-I$GADGETC_HEADERS")
        let other = self.paths("/srv/ci")
        #expect(other.host("$VMLINUX/vmlinux.h") == "/srv/ci/.cache/gadgetc/vmlinux/ab/amd64/vmlinux.h")
        #expect(other.host("$INCLUDE1/x.h") == nil)
        #expect(other.host("/usr/include/linux/bpf.h") == "/usr/include/linux/bpf.h")
    }

    @Test func referencesAreHostAndRepository() throws {
        let settings = try RemoteCacheSettings(parsing: "registry.example.com:5000/team/gadgetc-cache")
        #expect(settings.host == "registry.example.com:5000" && settings.repository == "team/gadgetc-cache" && settings.scheme == "https")
        #expect(try RemoteCacheSettings(parsing: "127.0.0.1:5000/cache").scheme == "http")
        #expect(try RemoteCacheSettings(parsing: "localhost/cache").scheme == "http")
        for bad in ["registry.example.com", "/cache", "host/Upper", "host/a//b", "ho st/x"] {
            #expect(throws: RemoteCacheError.badReference(bad)) { try RemoteCacheSettings(parsing: bad) }
        }
    }
}
