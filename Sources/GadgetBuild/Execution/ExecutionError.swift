import Foundation

/// Failures while running a plan. Messages are one line (a compiler's own diagnostics are printed
/// before the error, verbatim).
public enum ExecutionError: Error, Equatable, CustomStringConvertible {
    case cannotStart(executable: String, reason: String)
    case compileFailed(source: String, arch: String, status: Int32)
    case compilerCrashed(source: String, arch: String, signal: Int32)
    case missingVmlinux(arch: String, source: String)
    case step(String)
    /// A compile read a file outside the gadget folder and the include folders.
    case readsOutside(source: String, path: String)
    /// A command ran longer than its bound and was killed.
    case timedOut(executable: String, after: Duration)
    /// A compiler taken by its file name is another version, or lacks the BPF target (the driver plans
    /// again with it identified; seen by a user only if that happens twice).
    case compilerNotAsNamed(path: String, found: String)

    public var description: String {
        switch self {
        case .cannotStart(let executable, let reason):
            return "cannot start \(executable): \(reason)"
        case .compileFailed(let source, let arch, let status):
            return "compiling \(source) for \(arch) failed (clang exit status \(status)); see clang's messages above"
        case .compilerCrashed(let source, let arch, let signal):
            return "clang was killed by signal \(signal) while compiling \(source) for \(arch): rerun the build (a killed compile is not cached), or pick another clang with GADGETC_CLANG if it keeps crashing"
        case .missingVmlinux(let arch, let source):
            return "\(source) includes vmlinux.h but there is none for \(arch): install Inspektor Gadget's headers (/usr/include/gadget/\(arch)/vmlinux.h), pass -I DIR with a folder holding \(arch)'s vmlinux.h, or leave \(arch) out with --arch"
        case .step(let message):
            return message
        case .readsOutside(let source, let path):
            return "\(source) reads \(path), which is outside the gadget folder and the include folders (ig's builder would not see it): copy it into the gadget folder, or pass its folder with -I"
        case .timedOut(let executable, let after):
            let seconds = Double(after.components.seconds) + Double(after.components.attoseconds) / 1e18
            return "\(executable) did not finish within \(String(format: "%g", seconds)) s and was killed: check what it reads (a FIFO or device as an input hangs a compile), or raise the bound with GADGETC_TIMEOUT=SECONDS"
        case .compilerNotAsNamed(let path, let found):
            return "\(path) is \(found), not the clang its name promised; set GADGETC_CLANG to the clang to build with"
        }
    }
}
