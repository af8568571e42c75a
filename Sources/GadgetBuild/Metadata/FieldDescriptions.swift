/// Where `--update-metadata` takes the description of a field it adds. Today only the placeholder ig
/// writes; a source that reads C doc comments (libclang) plugs in here. Text already in gadget.yaml is
/// never replaced, whatever the source says.
public protocol FieldDescriptionSource: Sendable {
    /// The description of `field` in `dataSource`; nil to fall back to the placeholder.
    func description(of field: DataSourceField, in dataSource: String) -> String?
}

/// No descriptions: every new field gets ig's placeholder.
public struct PlaceholderDescriptions: FieldDescriptionSource {
    public init() {}
    public func description(of field: DataSourceField, in dataSource: String) -> String? { nil }
}
