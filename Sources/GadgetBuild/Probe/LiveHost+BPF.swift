extension LiveHost {
    public var libbpfVersion: String { Libbpf.version }

    public func kernelAcceptsBPF() -> (accepted: Bool, reason: String) {
        let support = KernelBPFSupport.probe()
        return (support.accepted, support.reason)
    }
}
