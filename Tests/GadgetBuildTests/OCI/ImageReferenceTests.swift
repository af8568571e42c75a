import Testing
@testable import GadgetBuild

@Suite("ImageReference")
struct ImageReferenceTests {
    static let hex = String(repeating: "ab", count: 32)

    @Test("short and full names normalize as ig normalizes them", arguments: [
        ("foo", "ghcr.io/inspektor-gadget/gadget/foo:latest"),
        ("foo:v1", "ghcr.io/inspektor-gadget/gadget/foo:v1"),
        ("trace_open:v0.30.0", "ghcr.io/inspektor-gadget/gadget/trace_open:v0.30.0"),
        ("me/foo:v1", "ghcr.io/me/foo:v1"),
        ("ghcr.io/foo", "ghcr.io/inspektor-gadget/gadget/foo:latest"),
        ("ghcr.io/me/foo", "ghcr.io/me/foo:latest"),
        ("reg:5000/x/y:t", "reg:5000/x/y:t"),
        ("localhost/foo", "localhost/foo:latest"),
        ("localhost:5000/foo:dev", "localhost:5000/foo:dev"),
        ("127.0.0.1:5000/a/b", "127.0.0.1:5000/a/b:latest"),
        ("docker.io/foo", "docker.io/library/foo:latest"),
        ("index.docker.io/me/foo:1", "docker.io/me/foo:1"),
        ("Reg/foo", "Reg/foo:latest"),
        ("a.b-c__d/e--f:T_1.x-y", "a.b-c__d/e--f:T_1.x-y"),
        ("foo@sha256:\(hex)", "ghcr.io/inspektor-gadget/gadget/foo@sha256:\(hex)"),
        ("foo:v1@sha256:\(hex)", "ghcr.io/inspektor-gadget/gadget/foo:v1@sha256:\(hex)"),
    ])
    func normalizes(input: String, expected: String) throws {
        #expect(try ImageReference(parsing: input).description == expected)
    }

    @Test func splitsRepositoryTagAndDigest() throws {
        let tagged = try ImageReference(parsing: "reg:5000/x/y:t")
        #expect(tagged.domain == "reg:5000")
        #expect(tagged.repository == "reg:5000/x/y")
        #expect(tagged.tag == "t")
        #expect(tagged.digest == nil)

        let pinned = try ImageReference(parsing: "foo@sha256:\(Self.hex)")
        #expect(pinned.repository == "ghcr.io/inspektor-gadget/gadget/foo")
        #expect(pinned.tag == nil)
        #expect(pinned.digest == "sha256:\(Self.hex)")
        #expect(try ImageReference(parsing: "foo").shortRepository == "foo")
        #expect(try ImageReference(parsing: "me/foo").shortRepository == "ghcr.io/me/foo")
    }

    @Test("invalid references are rejected with a message that shows a valid one", arguments: [
        "", "Foo", "foo:", ":v1", "foo:-bad", "foo:.bad", "ghcr.io/Me/foo", "foo bar", "foo//bar", "foo/",
        "foo_/bar", "-foo", "foo:" + String(repeating: "a", count: 129), "foo@sha256:abc",
        "foo@md5:\(hex)", "foo@sha256:\(hex.uppercased())", "reg:port/foo", "a/" + String(repeating: "b", count: 300),
    ])
    func rejects(input: String) {
        #expect {
            try ImageReference(parsing: input)
        } throws: { error in
            guard let error = error as? OCIError else { return false }
            return error.code == .invalidReference && error.description.contains("use NAME[:TAG]")
                && !error.description.contains("\n")
        }
    }

    @Test func tagsUpTo128CharactersAreAccepted() throws {
        let tag = String(repeating: "a", count: 128)
        #expect(try ImageReference(parsing: "foo:\(tag)").tag == tag)
    }
}
