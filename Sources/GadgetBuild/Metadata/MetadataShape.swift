import Yams

/// The shape of gadget.yaml as ig's metadata model decodes it: which keys hold a single value and
/// which a mapping. A wrong type is reported with the key's path (`datasources.exec.fields`) instead of
/// being packaged for ig to reject when it runs the gadget. Keys ig does not know are left alone.
enum MetadataShape {
    static let scalarKeys = ["name", "description", "homepageURL", "documentationURL", "sourceURL"]

    static func check(_ root: Node.Mapping, origin: String) throws {
        for key in scalarKeys { try expectScalar(root[key], key, origin) }
        try expectAnnotations(root["annotations"], "annotations", origin)

        for (name, source) in try entries(root["datasources"], "datasources", origin) {
            let path = "datasources.\(name)"
            guard let source = try expectMapping(source, path, origin) else { continue }
            try expectAnnotations(source["annotations"], "\(path).annotations", origin)
            for (field, value) in try entries(source["fields"], "\(path).fields", origin) {
                guard let value = try expectMapping(value, "\(path).fields.\(field)", origin) else { continue }
                try expectAnnotations(value["annotations"], "\(path).fields.\(field).annotations", origin)
            }
        }
        for (kind, group) in try entries(root["params"], "params", origin) {
            for (name, entry) in try entries(group, "params.\(kind)", origin) {
                try expectParam(entry, "params.\(kind).\(name)", origin)
            }
        }
        for (name, entry) in try entries(root["gadgetParams"], "gadgetParams", origin) {
            try expectParam(entry, "gadgetParams.\(name)", origin)
        }
    }

    static func expectParam(_ node: Node?, _ path: String, _ origin: String) throws {
        guard let param = try expectMapping(node, path, origin) else { return }
        for key in ["key", "description", "defaultValue", "typeHint", "title"] { try expectScalar(param[key], "\(path).\(key)", origin) }
    }

    static func expectAnnotations(_ node: Node?, _ path: String, _ origin: String) throws {
        for (key, value) in try entries(node, path, origin) { try expectScalar(value, "\(path).\(key)", origin) }
    }

    /// The key/value pairs of a mapping (none when absent or null); an error for anything else.
    static func entries(_ node: Node?, _ path: String, _ origin: String) throws -> [(String, Node)] {
        guard let mapping = try expectMapping(node, path, origin) else { return [] }
        return try mapping.map { key, value in
            guard let name = key.scalar?.string else {
                throw MetadataError.wrongType(file: origin, key: path, expected: "a mapping with plain keys", found: "a key that is \(describe(key))")
            }
            return (name, value)
        }
    }

    /// The mapping at `path`, nil when absent or null.
    static func expectMapping(_ node: Node?, _ path: String, _ origin: String) throws -> Node.Mapping? {
        guard let node, !isNull(node) else { return nil }
        guard let mapping = node.mapping else {
            throw MetadataError.wrongType(file: origin, key: path, expected: "a mapping", found: describe(node))
        }
        return mapping
    }

    static func expectScalar(_ node: Node?, _ path: String, _ origin: String) throws {
        guard let node, node.scalar == nil else { return }
        throw MetadataError.wrongType(file: origin, key: path, expected: "a single value", found: describe(node))
    }

    static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// "a string", "a number", "a list", … for messages.
    static func describe(_ node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if isNull(node) { return "nothing (null)" }
            if scalar.style == .plain, node.bool != nil { return "a boolean" }
            if scalar.style == .plain, node.int != nil || node.float != nil { return "a number" }
            return "a string"
        }
    }
}
