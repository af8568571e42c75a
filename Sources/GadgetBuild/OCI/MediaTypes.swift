/// The media types of a gadget image, as ig writes them (pkg/oci/build.go) and as the OCI image
/// spec defines the generic ones.
public enum GadgetMediaType {
    /// `artifactType` of every per-architecture manifest: marks the manifest as a gadget.
    public static let artifact = "application/vnd.gadget.v1+binary"
    /// Config blob: the gadget.yaml bytes.
    public static let config = "application/vnd.gadget.config.v1+yaml"
    /// Layer: the linked eBPF object of one architecture.
    public static let eBPFProgram = "application/vnd.gadget.ebpf.program.v1+binary"
    /// Layer: the optional wasm module, the same for every architecture.
    public static let wasmProgram = "application/vnd.gadget.wasm.program.v1+binary"
    /// Layer of an arch: minimal BTF per kernel (`--btfgen`), a tar.gz of `<distro>/<version>/<arch>/<kernel>.btf`.
    public static let btfgen = "application/vnd.gadget.btfgen.v1+binary"
}

/// Media types and well-known values from the OCI image spec.
public enum OCIMediaType {
    public static let imageIndex = "application/vnd.oci.image.index.v1+json"
    public static let imageManifest = "application/vnd.oci.image.manifest.v1+json"
    /// The empty descriptor's media type; its content is the two bytes `{}`.
    public static let empty = "application/vnd.oci.empty.v1+json"
}

/// Pre-defined annotation keys of the OCI image spec that gadget images carry.
public enum OCIAnnotation {
    public static let created = "org.opencontainers.image.created"
    public static let title = "org.opencontainers.image.title"
    public static let description = "org.opencontainers.image.description"
    public static let url = "org.opencontainers.image.url"
    public static let documentation = "org.opencontainers.image.documentation"
    public static let source = "org.opencontainers.image.source"
    /// The name of a tagged entry in an image layout's index.json.
    public static let refName = "org.opencontainers.image.ref.name"
    /// The ig version that built a gadget; ig's runtime warns when it is missing or differs from
    /// its own version. Written from `BuildRequest.builderVersion` when the gadget has a gadget.yaml, as ig does.
    public static let igBuilderVersion = "io.inspektor-gadget.builder.version"
}

/// Files and folders of an OCI image layout (image-spec image-layout.md).
enum OCILayoutFile {
    static let layout = "oci-layout"
    static let index = "index.json"
    static let blobs = "blobs"
    static let sha256 = "sha256"
    /// ig's lock around read-modify-write of index.json (pkg/oci/local_oci_store.go).
    static let indexLock = "index.json.lock"
    static let layoutVersion = "1.0.0"
}
