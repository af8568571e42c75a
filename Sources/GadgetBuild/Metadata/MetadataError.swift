import Foundation
import Yams

/// Problems with a gadget's folder, build.yaml or gadget.yaml. Each message is one line that says what
/// is wrong and what to do.
public enum MetadataError: Error, Equatable, CustomStringConvertible {
    case folderMissing(String)
    case notAGadget(String)
    case invalidYAML(file: String, reason: String)
    case notAMapping(file: String)
    case expectedString(file: String, key: String)
    case unknownBuildKey(file: String, key: String)
    case pathEscapesGadget(file: String, key: String, path: String)
    case fileMissing(file: String, key: String, path: String)
    case unsupportedWasmSource(path: String)
    /// A Rust wasm source whose crate has no Cargo.toml in the folder above the source's.
    case cargoManifestMissing(source: String, manifest: String)
    case unreadable(path: String, reason: String)
    case validation(file: String, problems: [String])
    case notAFolder(path: String, kind: String)
    /// `file` (relative to the gadget folder) resolves, through a symlink, to `target` outside it.
    case symlinkLeavesGadget(file: String, target: String)
    case danglingSymlink(file: String, target: String)
    /// `file` is a directory, FIFO, device, …: `what` says which; `remedy` what to give instead.
    case notARegularFile(file: String, kind: String, remedy: String)
    case wrongType(file: String, key: String, expected: String, found: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .folderMissing(let path):
            return "gadget folder '\(path)' does not exist: pass the folder that holds program.bpf.c and gadget.yaml"
        case .notAGadget(let path):
            return "'\(path)' is not a gadget folder: expected program.bpf.c (or build.yaml naming an ebpfsource) and gadget.yaml in it"
        case .invalidYAML(let file, let reason):
            return "\(file) is not valid YAML: \(reason)"
        case .notAMapping(let file):
            return "\(file) must be a YAML mapping of keys to values"
        case .expectedString(let file, let key):
            return "\(file): '\(key)' must be a string (a path relative to the gadget folder)"
        case .unknownBuildKey(let file, let key) where key == "cflags":
            return "\(file): 'cflags' is not supported (ig removed it because it allowed shell injection); put compile options in the source with #define or pass -I to gadgetc"
        case .unknownBuildKey(let file, let key):
            return "\(file): unknown key '\(key)'; the known keys are \(BuildFile.knownKeys.sorted().joined(separator: ", "))"
        case .pathEscapesGadget(let file, let key, let path):
            return "\(file): '\(key): \(path)' points outside the gadget folder; keep the gadget's files inside its folder"
        case .fileMissing(let file, let key, let path):
            return "\(file): '\(key)' names '\(path)', which does not exist in the gadget folder"
        case .unsupportedWasmSource(let path):
            return "build.yaml: 'wasm: \(path)' is neither a .wasm module nor a .go or .rs source: name one of those (as ig does)"
        case .cargoManifestMissing(let source, let manifest):
            return "build.yaml: 'wasm: \(source)' is Rust, built from the crate's Cargo.toml in the folder above it, but there is no \(manifest): put the source in the crate's src/ folder (e.g. rust/src/lib.rs with rust/Cargo.toml)"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .notAFolder(let path, let kind):
            return "'\(path)' is \(kind), not a folder: pass the gadget folder that holds program.bpf.c and gadget.yaml"
        case .symlinkLeavesGadget(let file, let target):
            return "\(file) is a symlink to '\(target)', outside the gadget folder: copy the file into the folder instead (gadgetc reads only the folder's own files)"
        case .danglingSymlink(let file, let target):
            return "\(file) is a symlink to '\(target)', which does not exist: remove the link or point it at a file inside the gadget folder"
        case .notARegularFile(let file, let kind, let remedy):
            return "\(file) is \(kind), not a regular file: \(remedy)"
        case .wrongType(let file, let key, let expected, let found):
            return "\(file): '\(key)' must be \(expected), found \(found)"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason)"
        case .validation(let file, let problems):
            return "\(file) does not match the eBPF object: \(problems.joined(separator: "; ")) (fix gadget.yaml, or pass --no-validate-metadata)"
        }
    }

    /// Turns a Yams error into "line L, column C: problem", without Yams' multi-line context dump.
    static func describe(yamlError: Error) -> String {
        if let error = yamlError as? YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
                let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
                return "line \(mark.line), column \(mark.column): \(what)"
            case .composer(let context, let problem, let mark, _):
                let what = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
                return "line \(mark.line), column \(mark.column): \(what)"
            default:
                break
            }
        }
        return String(describing: yamlError).split(separator: "\n").first.map(String.init) ?? "unreadable"
    }
}
