import Logging

/// gadgetc's diagnostic log (swift-log): what `-v` shows. The front end sets a logger for the task
/// that runs a build; everything the build starts inherits it. Without one nothing is logged.
///
/// Levels: `debug` — each build step's command line as it starts (`-v`); `trace` — every other
/// command gadgetc runs (the probe's `clang --version`, `go list`, …) with its exit status and time (`-vv`).
public enum BuildLog {
    @TaskLocal public static var logger = Logger(label: "gadgetc", factory: { _ in SwiftLogNoOpLogHandler() })
}
