/// Problems found while planning, before anything runs.
public enum PlanningError: Error, Equatable, CustomStringConvertible {
    case unknownArchitecture(String)
    case noNativeToolchain(missing: [String])
    case noContainerEngine(detail: String)
    case noToolchain(missing: [String], engine: String)
    case missingVmlinux(arch: Architecture)
    /// No host toolchain for the gadget's wasm source, and (`engine` non-nil) no engine for the builder's either.
    case noWasmToolchain(missing: String, engine: String?)

    public var description: String {
        switch self {
        case .unknownArchitecture(let text):
            return "unknown architecture '\(text)': use amd64, arm64 or both (--arch amd64,arm64)"
        case .noNativeToolchain(let missing):
            return "no native eBPF toolchain: \(missing.joined(separator: "; ")) (run 'gadgetc doctor' for details)"
        case .noContainerEngine(let detail):
            return "--toolchain container needs a container engine: \(detail)"
        case .noToolchain(let missing, let engine):
            return "no toolchain can build here: natively \(missing.joined(separator: "; ")), and for the builder container \(engine); install what is missing (run 'gadgetc doctor') or start docker or podman"
        case .missingVmlinux(let arch):
            return "the gadget includes vmlinux.h and there is none for \(arch), nor a container engine to use the builder's: install Inspektor Gadget's headers (/usr/include/gadget/\(arch)/vmlinux.h), pass -I DIR with \(arch)/vmlinux.h, start docker or podman, or leave \(arch) out with --arch"
        case .noWasmToolchain(let missing, let engine):
            guard let engine else { return "no native toolchain for the gadget's wasm module: \(missing)" }
            return "no toolchain can build the gadget's wasm module: natively \(missing); and for the builder container \(engine) (start docker or podman)"
        }
    }
}
