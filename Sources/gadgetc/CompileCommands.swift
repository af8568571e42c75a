import ArgumentParser
import Foundation
import GadgetBuild

struct CompileCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile-commands",
        abstract: "Write compile_commands.json so that clangd parses gadgets as gadgetc compiles them.",
        discussion: """
        Writes a JSON compilation database into each gadget folder (clangd looks for one in the \
        source's folder and its parents), replacing it atomically: one entry per source and \
        architecture, the host's architecture first (clangd takes the first entry of a file), each \
        the command 'gadgetc build --dry-run' shows — the same clang, -target bpf, -D __TARGET_ARCH_<x>, \
        and the folders of <vmlinux.h>, <gadget/…> and <bpf/…> — without the precompiled header and \
        the depfile, and with -o naming <arch>.bpf.o in the gadget folder. Nothing is compiled; a \
        vmlinux.h made from the kernel's BTF is generated into the cache if it is not there yet.
        """
    )

    @Argument(help: ArgumentHelp("Gadget folders, or folders of gadget folders.", valueName: "dir"))
    var folders: [String] = ["."]

    @Option(name: .shortAndLong, help: ArgumentHelp("Write one database for every gadget to this file instead ('-' prints it).", valueName: "file"))
    var output: String?

    @Option(name: .customShort("f"), help: ArgumentHelp("Path to build.yaml (default: DIR/build.yaml).", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Architectures to list, comma separated; the host's comes first.", valueName: "list"))
    var arch: String = "amd64,arm64"

    @OptionGroup(title: "Toolchain") var toolchain: ToolchainOptions

    func validate() throws {
        do { _ = try Architecture.parseList(arch) } catch { throw ValidationError("\(error)") }
    }

    func run() async throws {
        toolchain.warnAboutIncludeDirectories()
        let gadgets = GadgetFolder.expand(folders)
        var databases: [(folder: String, database: CompilationDatabase)] = []
        var failed = false
        for folder in gadgets {
            do {
                databases.append((folder, try await CompileCommandsWriter.database(folder, buildFile: file, architectures: arch,
                                                                                   includeDirectories: toolchain.usableIncludeDirectories)))
            } catch {
                Terminal.error(error, prefix: gadgets.count > 1 ? "\(Terminal.escape(URL(fileURLWithPath: folder).lastPathComponent)): " : "")
                failed = true
            }
        }
        if let output {
            let merged = CompilationDatabase.merged(databases.map(\.database))
            if output == "-" {
                FileHandle.standardOutput.write(try merged.encoded())
            } else if !CompileCommandsWriter.write(merged, to: URL(fileURLWithPath: output)) {
                failed = true
            }
        } else {
            for (folder, database) in databases {
                if database.entries.isEmpty {
                    // A wasm-only gadget, or every arch planned in the builder container: an empty file would only mislead.
                    let why = database.containerArchitectures.isEmpty ? "it has no eBPF source" : "its compiles would run in the builder container"
                    Terminal.writeError("warning: \(Terminal.escape(folder)): no compile_commands.json written: \(why)\n")
                    continue
                }
                let url = URL(fileURLWithPath: folder).standardizedFileURL.appendingPathComponent("compile_commands.json")
                if !CompileCommandsWriter.write(database, to: url) { failed = true }
            }
        }
        if failed { throw ExitCode.failure }
    }
}

/// What `compile-commands` and `build --compile-commands` share.
enum CompileCommandsWriter {
    /// The database of one gadget, from the plan a native build would run.
    static func database(_ folder: String, buildFile: String?, architectures: String, includeDirectories: [String]) async throws -> CompilationDatabase {
        // Editor entries come from host compiles only: a container compile's paths (/work) mean nothing to an editor.
        let request = BuildRequest(gadgetFolder: folder, buildFile: buildFile,
                                   architectures: (try? Architecture.parseList(architectures)) ?? Architecture.allCases,
                                   toolchain: .native, includeDirectories: includeDirectories)
        return try await BuildDriver().compilationDatabase(request)
    }

    /// Writes `database` atomically and says so on standard error; false (with an error line) on failure.
    static func write(_ database: CompilationDatabase, to url: URL) -> Bool {
        do {
            try AtomicFile.write(try database.encoded(), to: url)
            let arches = Set(database.entries.map(\.arch)).sorted().map(\.rawValue).joined(separator: ", ")
            Terminal.writeError("wrote \(Terminal.escape(url.path)) (\(database.entries.count) entr\(database.entries.count == 1 ? "y" : "ies"): \(arches))\n")
            return true
        } catch {
            Terminal.error(error)  // FileWriteError names the file and the call that failed
            return false
        }
    }
}
