/// Where `--update-metadata` takes the descriptions it writes: ig's placeholder, or the gadget's C
/// comments (`CommentDescriptions`, read with libclang). Text already in gadget.yaml is never replaced,
/// whatever the source says.
public protocol FieldDescriptionSource: Sendable {
    /// The description of `field` in `dataSource`; nil to fall back to the placeholder.
    func description(of field: DataSourceField, in dataSource: String) -> String?
    /// The data source's own description (its `annotations.description`); nil writes none (ig writes none).
    func description(ofDataSource name: String) -> String?
    /// The description of the eBPF param backed by `variable`; nil to fall back to the placeholder.
    func description(ofParam variable: String) -> String?
}

extension FieldDescriptionSource {
    public func description(ofDataSource name: String) -> String? { nil }
    public func description(ofParam variable: String) -> String? { nil }
}

/// No descriptions: every new field and param gets ig's placeholder.
public struct PlaceholderDescriptions: FieldDescriptionSource {
    public init() {}
    public func description(of field: DataSourceField, in dataSource: String) -> String? { nil }
}
