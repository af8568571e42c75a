// swift-tools-version:6.1
import PackageDescription

// libbpf, libelf and zstd are linked statically so that `gadgetc` starts on hosts without them (the
// container fallback is for exactly those hosts). zlib stays the system's libz.so.1 all the same:
// swift-nio-extras (under async-http-client) links it by name, and the linker takes the first
// definition it meets. Every Debian and Ubuntu has it (zlib1g is Priority: required); the .deb names it.
let staticBPF: [LinkerSetting] = [
    .unsafeFlags([
        "-Xlinker", "-Bstatic",
        "-Xlinker", "-lbpf", "-Xlinker", "-lelf", "-Xlinker", "-lz", "-Xlinker", "-lzstd",  // libelf needs zlib's symbols
        "-Xlinker", "-Bdynamic",
    ]),
]

// The release gadgetc links the Swift runtime and Foundation statically (what `--static-swift-stdlib`
// does, for this one product): modules compiled against the shared Foundation do not name its static
// companions, so they are listed here, grouped so that their order does not matter. lld packs the
// 120,000 relative relocations of the position-independent binary (DT_RELR, glibc ≥ 2.36): 0.6 ms less
// to start, measured, with address randomisation kept.
let staticFoundation: [String] = ["-static-stdlib", "-Xlinker", "--start-group"]
    + ["Foundation", "FoundationEssentials", "FoundationInternationalization", "CoreFoundation", "_FoundationICU",
       "_FoundationCShims", "_FoundationCollections", "swiftSynchronization", "swift_RegexParser", "swift_StringProcessing",
       "swift_Concurrency", "swiftDispatch", "dispatch", "BlocksRuntime", "swiftCore"].flatMap { ["-Xlinker", "-l\($0)"] }
    + ["-Xlinker", "--end-group", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"]

let package = Package(
    name: "gadgetc",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gadgetc", targets: ["gadgetc"]),
        .library(name: "GadgetBuild", targets: ["GadgetBuild"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CLibbpf", path: "Sources/CLibbpf"),
        // libclang's by-value types; the library itself is loaded at run time when a command needs it.
        .systemLibrary(name: "CLibclang", path: "Sources/CLibclang"),
        .target(
            name: "GadgetBuild",
            dependencies: [
                "CLibbpf",
                "CLibclang",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // A registry with a certificate of a private CA (the team cache): trust roots.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // -v: command lines and timings.
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: staticBPF
        ),
        .executableTarget(
            name: "gadgetc",
            dependencies: [
                "GadgetBuild",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // Measured: a release gadgetc starts in 8.8 ms with the Swift runtime and Foundation linked
            // in, 11.6 ms with them as shared libraries (fewer relocations at load). Every build pays it.
            linkerSettings: [.unsafeFlags(staticFoundation, .when(configuration: .release))]
        ),
        // `swift run -c release gadgetc-bench`: gadgetc against ig's compile line, side by side.
        .executableTarget(
            name: "gadgetc-bench",
            dependencies: ["GadgetBuild"]
        ),
        .testTarget(name: "GadgetBuildTests", dependencies: ["GadgetBuild"]),
        .testTarget(name: "IntegrationTests", dependencies: ["GadgetBuild"]),
    ]
)
