/// gadgetc's own version: part of every cache key, printed by `gadgetc --version`.
public enum GadgetcVersion {
    public static let string = "0.1.0"
}
