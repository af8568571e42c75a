import CLibbpf
import Foundation

/// Whether this process can load BPF programs into the running kernel (what verifier checks
/// need), found by loading a 2-instruction socket filter (`r0 = 0; exit`) and closing it.
public struct KernelBPFSupport: Sendable, Equatable, Codable {
    public var accepted: Bool
    /// Why not (or what was loaded), one line.
    public var reason: String

    public static func probe() -> KernelBPFSupport {
        let instructions = [
            bpf_insn(code: UInt8(BPF_ALU64 | BPF_MOV | BPF_K), dst_reg: 0, src_reg: 0, off: 0, imm: 0),
            bpf_insn(code: UInt8(BPF_JMP | BPF_EXIT), dst_reg: 0, src_reg: 0, off: 0, imm: 0),
        ]
        let (descriptor, code) = LibbpfSession.run { _ in
            let descriptor = instructions.withUnsafeBufferPointer { buffer in
                bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "gadgetc_probe", "GPL", buffer.baseAddress, buffer.count, nil)
            }
            return (descriptor, descriptor < 0 ? (errno != 0 ? errno : -descriptor) : 0)
        }
        if descriptor >= 0 {
            close(descriptor)
            return KernelBPFSupport(accepted: true, reason: "the kernel loaded a test socket filter")
        }
        return KernelBPFSupport(accepted: false, reason: explain(code))
    }

    static func explain(_ code: Int32) -> String {
        let message = BPFError.describe(errno: code)
        switch code {
        case EPERM, EACCES:
            if geteuid() != 0 {
                return "\(message): loading BPF needs root or CAP_BPF (with CAP_PERFMON for tracing programs); running as uid \(geteuid())"
            }
            return "\(message) even as root: a seccomp profile (containers), a lockdown LSM or kernel.unprivileged_bpf_disabled policy blocks bpf()"
        case ENOSYS:
            return "\(message): the kernel has no bpf() syscall (CONFIG_BPF_SYSCALL is off) or a sandbox hides it"
        default:
            return "\(message): the kernel refused a trivial socket filter"
        }
    }
}
