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
             compiler: String = "clang Debian clang version 16.0.6", source: String = "aaaa") -> String {
        let extended = IncludeLayout(multiarchDirectory: "/usr/include/x86_64-linux-gnu", gadgetHeadersRoot: "\(home)/gadgetc/bpf/include",
                                     libbpfCompatDirectory: nil, userDirectories: [])
        var invocation = ClangInvocation.igCompile(clang: clang, arch: arch, source: "program.bpf.c", output: "/tmp/\(UUID())/o.bpf.o",
                                                   vmlinuxDirectory: "\(home)/.cache/gadgetc/vmlinux/ab/\(arch)", layout: extended)
        invocation.depfile = "/tmp/\(UUID())/o.d"
        invocation.precompiledHeader = pch
        return PortableCompile.key(invocation, compiler: compiler, paths: paths(home), sourceDigest: source)
    }

    @Test func movingTheCheckoutOrTheHomeFolderKeepsTheKey() {
        #expect(key("/home/ann") == key("/home/bob/work"))
        #expect(key("/home/ann", clang: "/usr/bin/clang-16") == key("/home/bob", clang: "/opt/llvm/bin/clang"))
    }

    @Test func thePrecompiledHeaderIsNotPartOfTheKey() {
        #expect(key("/home/ann", pch: "/home/ann/.cache/gadgetc/pch/1-amd64.pch") == key("/home/bob"))
    }

    @Test func theCompilerTheArchAndTheSourceAreInIt() {
        // Every gadget's source is $GADGET/program.bpf.c: its content tells two gadgets apart.
        #expect(key("/home/ann") != key("/home/ann", source: "bbbb"))
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
        #expect(settings.host == "registry.example.com:5000" && settings.repository == "team/gadgetc-cache"
                && settings.scheme(environment: [:]) == "https")
        #expect(try RemoteCacheSettings(parsing: "127.0.0.1:5000/cache").scheme(environment: [:]) == "http")
        #expect(try RemoteCacheSettings(parsing: "localhost/cache").scheme(environment: [:]) == "http")
        var withCA = try RemoteCacheSettings(parsing: "127.0.0.1:5000/cache")
        withCA.certificateAuthority = "/ca.pem"
        #expect(withCA.scheme(environment: [:]) == "https")
        #expect(try RemoteCacheSettings(parsing: "http://registry.lan:5000/cache").scheme(environment: [:]) == "http")
        #expect(settings.scheme(environment: ["GADGETC_REMOTE_CACHE_INSECURE": "other:1, registry.example.com:5000"]) == "http")
        for bad in ["registry.example.com", "/cache", "host/Upper", "host/a//b", "ho st/x"] {
            #expect(throws: RemoteCacheError.badReference(bad)) { try RemoteCacheSettings(parsing: bad) }
        }
    }

    @Test func credentialsAreFoundWhereDockerAndPodmanKeepThem() {
        let docker = #"{"auths": {"reg.example:5000": {"auth": "\#(Data("ann:s3cret:x".utf8).base64EncodedString())"}}}"#
        let podman = #"{"auths": {"https://reg.example:5000": {"identitytoken": "tok"}}}"#
        let helpers = #"{"credHelpers": {"reg.example:5000": "pass"}, "auths": {"reg.example:5000": {"auth": "eDp5"}}}"#
        func find(_ files: [String: String], helper: @escaping (String, String) -> Data? = { _, _ in nil }) -> RegistryCredentials? {
            RegistryCredentials.find(host: "reg.example:5000", environment: ["HOME": "/h", "XDG_RUNTIME_DIR": "/run/u"],
                                     read: { files[$0].map { Data($0.utf8) } }, helper: helper)
        }
        #expect(find(["/h/.docker/config.json": docker]) == RegistryCredentials(secret: .basic(user: "ann", password: "s3cret:x"), source: "/h/.docker/config.json"))
        // podman's file comes before docker's
        #expect(find(["/h/.docker/config.json": docker, "/run/u/containers/auth.json": podman])?.secret == .identityToken("tok"))
        let fromHelper = find(["/h/.docker/config.json": helpers]) { name, host in
            name == "pass" && host == "reg.example:5000" ? Data(#"{"Username": "bob", "Secret": "pw"}"#.utf8) : nil
        }
        #expect(fromHelper?.secret == .basic(user: "bob", password: "pw") && fromHelper?.source == "docker-credential-pass")
        #expect(find([:]) == nil)
        #expect(!"\(String(describing: find(["/h/.docker/config.json": docker])))".contains("s3cret"))
    }

    @Test func challengesAreRead() {
        let bearer = AuthChallenge(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#)
        #expect(bearer == AuthChallenge(scheme: "bearer", parameters: ["realm": "https://auth.example/token", "service": "registry.example",
                                                                       "scope": "repository:a/b:pull"]))
        #expect(AuthChallenge(#"Basic realm="gadgetc-test""#)?.scheme == "basic")
        #expect(AuthChallenge("") == nil)
    }
}

/// `--remote-cache-mount-from`: repositories of the cache's own registry, by name or by full reference.
@Suite struct RemoteCacheMountSourceTests {
    @Test func sourcesAreRepositoriesOfTheSameRegistry() throws {
        var settings = try RemoteCacheSettings(parsing: "registry.example.com:5000/team/cache-v2", upload: true)
        try settings.mount(from: ["team/cache-v1", "registry.example.com:5000/team/cache-v0", "team/cache-v2"])
        // The cache's own repository is no source; a full reference of the same registry is its repository.
        #expect(settings.mountFrom == ["team/cache-v1", "team/cache-v0"])
        #expect(throws: RemoteCacheError.badMountSource("Team/Cache")) { try settings.mount(from: ["Team/Cache"]) }
        #expect(throws: RemoteCacheError.badMountSource("other.example.com/team/cache")) { try settings.mount(from: ["other.example.com/team/cache"]) }
        #expect(RemoteCacheSettings.mountSources(environment: ["GADGETC_REMOTE_CACHE_MOUNT_FROM": " a/b, c ,"]) == ["a/b", "c"])
    }
}
