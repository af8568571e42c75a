import Foundation
import Testing
@testable import GadgetBuild

/// The two toolchains' view of host paths: the host's as they are, the container's through its mounts.
@Suite struct StepToolchainTests {
    @Test func theContainerSeesHostFilesThroughItsMountsOnly() {
        let container = BuilderContainerToolchain(runner: ProcessRunner(), image: "builder:ci sha256:1",
                                                  mounts: ["/work": "/home/me/gadget", "/out": "/home/me/gadget/out", "/gadgetc/compat": "/opt/compat"])
        #expect(container.visiblePath("/home/me/gadget/program.bpf.c") == "/work/program.bpf.c")
        // The deepest mount wins: an output folder inside the gadget folder is /out, not /work/out.
        #expect(container.visiblePath("/home/me/gadget/out/btfgen-amd64/0/k.btf") == "/out/btfgen-amd64/0/k.btf")
        #expect(container.visiblePath("/home/me/gadgets/other.c") == nil, "whole components only")
        #expect(container.visiblePath("/etc/passwd") == nil)
        #expect(container.kind == .container && container.compilerIdentity == "container builder:ci sha256:1")
        let host = NativeToolchain(runner: ProcessRunner(), compilerIdentity: "clang 16")
        #expect(host.visiblePath("/etc/passwd") == "/etc/passwd" && host.kind == .native)
    }
}
