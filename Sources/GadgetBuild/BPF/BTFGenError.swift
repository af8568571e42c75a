import Foundation

/// What stops `--btfgen`: one line each, saying what is wrong and what to do. No image is written.
public enum BTFGenError: Error, Equatable, CustomStringConvertible {
    case archiveMissing(String)
    case archiveNotAFolder(String, String)
    /// A folder of the archive that cannot be listed.
    case archiveUnreadable(String, String)
    /// A kernel's file that cannot be hashed (replaced by something else, unreadable) after it was listed.
    case kernelUnreadable(String, String)
    case noKernels(String, arch: Architecture)
    /// A `.btf.tar.xz` that tar cannot unpack, or that lacks `<kernel>.btf`.
    case corruptTarball(String, reason: String)
    /// bpftool failed on one kernel.
    case minimisationFailed(kernel: String, reason: String)
    case noBPFTool(String)

    public var description: String {
        switch self {
        case .archiveMissing(let path):
            return "the BTFHub archive \(path) does not exist: pass --btfhub-archive the folder of a btfhub-archive checkout (<distro>/<version>/<arch>/<kernel>.btf.tar.xz)"
        case .archiveNotAFolder(let path, let kind):
            return "the BTFHub archive \(path) is \(kind), not a folder: pass --btfhub-archive the folder of a btfhub-archive checkout"
        case .archiveUnreadable(let path, let reason):
            return "cannot list \(path) in the BTFHub archive: \(reason); check the folder's permissions, or point --btfhub-archive elsewhere"
        case .kernelUnreadable(let path, let reason):
            return "cannot read \(path) of the BTFHub archive: \(reason); check the file, or remove it from the archive"
        case .noKernels(let path, let arch):
            return "the BTFHub archive \(path) has no BTF for \(arch) (no <distro>/<version>/\(arch.btfHubName)/<kernel>.btf.tar.xz or .btf): point --btfhub-archive at the archive's root, or leave \(arch) out with --arch"
        case .corruptTarball(let path, let reason):
            return "cannot unpack \(path): \(reason); download that file of the archive again, or remove it"
        case .minimisationFailed(let kernel, let reason):
            return "bpftool gen min_core_btf failed for \(kernel): \(reason); check that it holds a kernel's BTF (bpftool btf dump file), or remove it from the archive"
        case .noBPFTool(let detail):
            return "--btfgen needs bpftool (\(detail)): apt-get install bpftool, or build with --toolchain container (the builder image has it)"
        }
    }
}
