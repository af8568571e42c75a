/// One field of a data source, named as ig names it to its users (`proc.comm`, `flags`, `k8s.podName`).
public struct DataSourceField: Equatable, Sendable {
    public enum Origin: Equatable, Sendable {
        /// A struct member (or a member of a nested struct) that ig's eBPF operator turns into a field.
        case member
        /// Added at run time by the named ig operator ("formatters", "ebpf enum formatter", …).
        case derived(String)
        /// Added by the gadget's wasm module (read from its source).
        case wasm
    }

    /// The full name: parent names and the field's own, joined by dots.
    public var path: String
    public var origin: Origin
    /// ig's empty grouping fields (`k8s`, `runtime`, `k8s.owner`): they hold no value, so gadget.yaml
    /// needs no entry, but one there is no mistake.
    public var isGroup: Bool = false
    /// For a string an operator makes from a member's value (a formatter's, the enum and kernel stack
    /// formatters'): that member's path, whose comment describes this field too.
    public var formattedFrom: String? = nil
}

/// The fields ig's operators give a data source made from eBPF structs, in the order users see them
/// (each derived field right after the one it comes from). Mirrors, in Inspektor Gadget:
/// - `pkg/operators/ebpf/struct.go`: one field per member, nested structs and unions as `parent.member`,
///   members named `__…`, pointers and zero-sized members left out;
/// - `pkg/operators/ebpf/formatters.go`: enum members and `gadget_kernel_stack` get a string field;
/// - `pkg/operators/formatters/formatters.go`: the replacers for signal, errno, syscall, timestamp, bytes,
///   duration, file mode and flags, and L3/L4 endpoints;
/// - `pkg/operators/uidgidresolver`, `pkg/operators/ustack`, `pkg/operators/kubeipresolver`,
///   `pkg/operators/kubenameresolver`;
/// - `pkg/datasource/compat/wrapper.go` (localmanager and kubemanager): the `k8s.*` and `runtime.*`
///   enrichment a mount or network namespace member brings;
/// - `pkg/operators/ebpf/ebpf.go`: the trailing-data field a tracer's `ebpf.rest.name` annotation names.
///
/// A derived field is named after its source: the `…target` annotation when the gadget sets one,
/// else the source's name without `_raw` (`flags_raw` → `flags`); with neither, ig adds none (uid and
/// gid fall back to `user` and `group`), as `pkg/utils/annotations.GetTargetNameFromAnnotation` does.
public enum IGDerivedFields {
    typealias Member = BPFObjectSummary.Structure.Member

    /// ig's formatters operator: source type → (replacer name, target annotation).
    static let formatters: [(type: String, name: String)] = [
        ("gadget_signal", "signal"), ("gadget_errno", "errno"), ("gadget_syscall", "syscall"),
        ("gadget_timestamp", "timestamp"), ("gadget_bytes", "bytes"), ("gadget_duration", "duration"),
        ("gadget_file_mode", "file_mode"), ("gadget_file_flags", "file_flags"),
    ]
    static let kernelStackType = "gadget_kernel_stack"
    static let userStackType = "gadget_user_stack"
    static let l3EndpointType = "gadget_l3endpoint_t"
    static let l4EndpointType = "gadget_l4endpoint_t"
    static let ipAddressType = "gadget_ip_addr_t"
    static let namespaceTypes = ["gadget_mntns_id", "gadget_netns_id"]
    /// The members the ustack operator needs before it adds its fields.
    static let userStackMembers = ["tgid_level0", "pid_level0", "pidns_level0", "pid_level1", "pidns_level1",
                                   "stack_id", "major", "minor", "inode", "mtime_sec", "mtime_nsec", "base_addr_hash"]
    static let userStackFields = ["addresses", "buildid", "symbols"]
    /// kubeipresolver: under every L4 endpoint.
    static let endpointKubernetesFields = ["kind", "name", "namespace", "labels", "podSelector"]
    /// compat.WrapAccessors, in its order.
    static let kubernetesFields = ["node", "namespace", "podName", "containerName", "hostnetwork", "podLabels"]
    static let kubernetesOwnerFields = ["kind", "name"]
    static let runtimeFields = ["containerName", "runtimeName", "containerId", "containerPid", "containerImageName",
                                "containerImageDigest", "containerStartedAt"]

    /// The fields of a data source made of `structs` (a tracer's or iterator's one struct, a map
    /// iterator's key then value). `annotations` are gadget.yaml's, per field path, for target names;
    /// `dataSourceAnnotations` the data source's own.
    public static func fields(of structs: [[BPFObjectSummary.Structure.Member]],
                              annotations: [String: [String: String]] = [:],
                              dataSourceAnnotations: [String: String] = [:]) -> [DataSourceField] {
        var result: [DataSourceField] = []
        var seen = Set<String>()
        var enumTargets = Set<String>()
        var hasNamespace = false

        func add(_ path: String, _ origin: DataSourceField.Origin, group: Bool = false, formattedFrom: String? = nil) {
            guard !path.isEmpty, seen.insert(path).inserted else { return }
            result.append(DataSourceField(path: path, origin: origin, isGroup: group, formattedFrom: formattedFrom))
        }
        /// The sibling ig names after `path` (nil: it adds none).
        func target(_ path: String, annotation: String, fallback: String? = nil) -> String? {
            let (prefix, name) = split(path)
            if let custom = annotations[path]?[annotation], !custom.isEmpty { return prefix + custom }
            if name.hasSuffix("_raw"), name.count > 4 { return prefix + String(name.dropLast(4)) }
            return fallback.map { prefix + $0 }
        }

        func walk(_ members: [Member], prefix: String) {
            for member in members where !member.name.hasPrefix("__") {
                let path = prefix + member.name
                let types = Set(member.typeNames)
                switch member.layout ?? .value {
                case .none:
                    continue
                case .composite(let children):
                    // An anonymous struct or union lends its members to the parent.
                    guard !member.name.isEmpty else { walk(children, prefix: prefix); continue }
                    add(path, .member)
                    walk(children, prefix: path + ".")
                    let childNames = children.map(\.name)
                    func one(_ name: String) -> Bool { childNames.filter { $0 == name }.count == 1 }
                    if types.contains(l3EndpointType) || types.contains(l4EndpointType) {
                        let addresses = children.filter { $0.typeNames.contains(ipAddressType) }
                        guard addresses.count == 1, one("version") else { break }
                        let address = addresses[0].name
                        add(path + "." + (address.hasSuffix("_raw") ? String(address.dropLast(4)) : address), .derived("formatters"))
                        if types.contains(l4EndpointType), one("port") {
                            if childNames.contains("proto_raw") { add(path + ".proto", .derived("formatters")) }
                            add(path + ".endpoint", .derived("formatters"))
                            add(path + ".k8s", .derived("kubeipresolver"), group: true)
                            for name in endpointKubernetesFields { add(path + ".k8s." + name, .derived("kubeipresolver")) }
                        }
                    }
                    if types.contains(userStackType), userStackMembers.allSatisfy(one) {
                        for name in userStackFields { add(path + "." + name, .derived("ustack")) }
                    }
                case .enumeration, .value:
                    guard !member.name.isEmpty else { continue }
                    add(path, .member)
                    if member.layout == .enumeration, let name = target(path, annotation: "ebpf.formatter.enum"),
                       enumTargets.insert(split(name).name).inserted {
                        add(name, .derived("ebpf enum formatter"), formattedFrom: path)
                    }
                    if types.contains(kernelStackType), let name = target(path, annotation: "ebpf.formatter.kstack") {
                        add(name, .derived("ebpf stack formatter"), formattedFrom: path)
                    }
                    for formatter in formatters where types.contains(formatter.type) {
                        if let name = target(path, annotation: "formatters.\(formatter.name).target") {
                            add(name, .derived("formatters"), formattedFrom: path)
                        }
                    }
                    if types.contains("gadget_uid"), let name = target(path, annotation: "uidgidresolver.target", fallback: "user") {
                        add(name, .derived("uidgidresolver"))
                    }
                    if types.contains("gadget_gid"), let name = target(path, annotation: "uidgidresolver.target", fallback: "group") {
                        add(name, .derived("uidgidresolver"))
                    }
                    if !types.isDisjoint(with: namespaceTypes) { hasNamespace = true }
                }
            }
        }
        for members in structs { walk(members, prefix: "") }

        if let rest = dataSourceAnnotations["ebpf.rest.name"], !rest.isEmpty { add(rest, .derived("ebpf")) }
        if hasNamespace {
            add("k8s", .derived("localmanager/kubemanager"), group: true)
            for name in kubernetesFields { add("k8s." + name, .derived("localmanager/kubemanager")) }
            add("k8s.owner", .derived("localmanager/kubemanager"), group: true)
            for name in kubernetesOwnerFields { add("k8s.owner." + name, .derived("localmanager/kubemanager")) }
            if dataSourceAnnotations["kubenameresolver.enable"] == "true" {
                for name in ["hostIP", "podIP"] { add("k8s." + name, .derived("kubenameresolver")) }
            }
            add("runtime", .derived("localmanager/kubemanager"), group: true)
            for name in runtimeFields { add("runtime." + name, .derived("localmanager/kubemanager")) }
        }
        return result
    }

    /// "proc.parent.comm" → ("proc.parent.", "comm").
    static func split(_ path: String) -> (prefix: String, name: String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[...dot]), String(path[path.index(after: dot)...]))
    }
}
