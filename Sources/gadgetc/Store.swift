import ArgumentParser
import Foundation
import GadgetBuild

struct Store: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Check the image store (ig's, or an OCI layout) that gadgetc builds into.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Verify every tagged image and blob of a store against its digest.",
            discussion: """
            Every descriptor reachable from index.json must name a blob that exists, has the size the \
            descriptor says and hashes to its name; blobs no tag reaches are hashed too. With --repair, \
            blobs with wrong bytes and temporary files of killed writers are removed (tags are kept: \
            rebuild or pull the images listed to write their blobs again). Exits 1 when problems remain.
            """
        )
        @Option(help: ArgumentHelp("The OCI layout to check instead of ig's store.", valueName: "dir"))
        var store: String?
        @Flag(help: "Remove blobs with wrong bytes and leftover temporary files.")
        var repair = false
        @OptionGroup(title: "Output") var output: OutputOptions

        func run() throws {
            let imageStore = ImageTarget.store(layout: store)
            guard FileManager.default.fileExists(atPath: imageStore.root.appendingPathComponent("index.json").path) else {
                Terminal.writeError("error: \(Terminal.quote(imageStore.root.path)) is not an OCI image layout (no index.json); name one with --store DIR")
                throw ExitCode.failure
            }
            var report: StoreCheckReport
            do {
                report = try imageStore.check()
            } catch {
                Terminal.error(error)
                throw ExitCode.failure
            }
            if repair {
                report.removed = imageStore.repair(report)
                report.leftovers.removeAll { report.removed.contains($0) }
            }
            if output.json {
                print(try JSONOutput.encode(report))
            } else {
                print("store: \(report.root): \(report.tags) tags, \(report.blobsChecked) blobs checked")
                for problem in report.problems { print("  problem: \(problem)") }
                for leftover in report.leftovers { print("  leftover: \(leftover)") }
                for path in report.removed { print("  removed: \(path)") }
                if report.problems.isEmpty && report.leftovers.isEmpty { print("  no problems") }
                let affected = Set(report.problems.flatMap(\.tags)).sorted()
                if !affected.isEmpty { print("  rebuild (or pull) to repair: \(affected.joined(separator: ", "))") }
            }
            if !report.problems.isEmpty { throw ExitCode.failure }
        }
    }
}
