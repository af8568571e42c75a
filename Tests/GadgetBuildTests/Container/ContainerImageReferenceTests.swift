import Testing
@testable import GadgetBuild

@Suite("Engine image references")
struct ContainerImageReferenceTests {
    @Test(arguments: [
        ("ubuntu", "docker.io", "docker.io/library/ubuntu", "latest"),
        ("ubuntu:22.04", "docker.io", "docker.io/library/ubuntu", "22.04"),
        ("me/tool:v1", "docker.io", "docker.io/me/tool", "v1"),
        ("ghcr.io/inspektor-gadget/gadget-builder:v0.51.1", "ghcr.io", "ghcr.io/inspektor-gadget/gadget-builder", "v0.51.1"),
        ("127.0.0.1:5055/gadgetc/builder:ci", "127.0.0.1:5055", "127.0.0.1:5055/gadgetc/builder", "ci"),
        ("127.0.0.1:5055/gadgetc/builder", "127.0.0.1:5055", "127.0.0.1:5055/gadgetc/builder", "latest"),
        ("localhost/builder:x", "localhost", "localhost/builder", "x"),
        ("index.docker.io/library/debian:bookworm", "docker.io", "docker.io/library/debian", "bookworm"),
    ])
    func fromImageAndTag(text: String, registry: String, fromImage: String, tag: String) throws {
        let reference = try ContainerImageReference(parsing: text)
        #expect(reference.registry == registry)
        #expect(reference.fromImage == fromImage)
        #expect(reference.tagParameter == tag)
        #expect(reference.description == fromImage + ":" + tag)
    }

    @Test func digestIsPassedAsTheTag() throws {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let reference = try ContainerImageReference(parsing: "ghcr.io/x/y@" + digest)
        #expect(reference.fromImage == "ghcr.io/x/y")
        #expect(reference.tag == nil)
        #expect(reference.tagParameter == digest)
        #expect(reference.description == "ghcr.io/x/y@" + digest)

        let both = try ContainerImageReference(parsing: "ghcr.io/x/y:v1@" + digest)
        #expect(both.tag == "v1")
        #expect(both.tagParameter == digest)
        #expect(both.description == "ghcr.io/x/y:v1@" + digest)
    }

    @Test(arguments: ["", "Ubuntu", "a//b", "ghcr.io/x/y@sha256:zz", "x:", "x:-bad", "has space"])
    func invalid(text: String) {
        #expect(throws: EngineError.self) { try ContainerImageReference(parsing: text) }
    }

    @Test func defaultBuilderImageParses() throws {
        let reference = try ContainerImageReference(parsing: BuilderImage.defaultReference)
        #expect(reference.registry == "ghcr.io")
        #expect(reference.tag?.hasPrefix("v") == true)
    }
}
