import CLibclang
import Foundation

/// libclang, loaded at run time (dlopen) from where the probe finds it: gadgetc builds and runs
/// without it, and only `check` and the comments `--update-metadata` reads need it. Holds the functions gadgetc calls,
/// looked up once; the library stays loaded for the process's life.
public final class Libclang: @unchecked Sendable {
    public enum LoadError: Error, CustomStringConvertible {
        case notFound
        case cannotLoad(path: String, reason: String)
        case missingSymbol(path: String, symbol: String)

        public var description: String {
            switch self {
            case .notFound:
                return "libclang is not installed: apt-get install libclang1-16 (or set GADGETC_LIBCLANG to a libclang.so)"
            case .cannotLoad(let path, let reason):
                return "cannot load libclang from \(path): \(reason); set GADGETC_LIBCLANG to a working libclang.so"
            case .missingSymbol(let path, let symbol):
                return "\(path) lacks \(symbol): it is not a libclang gadgetc can use (libclang 11 or newer); set GADGETC_LIBCLANG"
            }
        }
    }

    public let path: String
    /// "clang version 16.0.6 (…)" as the library says it.
    public private(set) var version = ""
    /// The major version of `version` (a PCH is only usable by the clang major that made it).
    public var major: Int? { ClangCompiler.parseVersion(version)?.major }

    typealias CString = @convention(c) (GCString) -> UnsafePointer<CChar>?
    typealias DisposeString = @convention(c) (GCString) -> Void
    typealias CreateIndex = @convention(c) (Int32, Int32) -> UnsafeMutableRawPointer?
    typealias DisposePointer = @convention(c) (UnsafeMutableRawPointer?) -> Void
    typealias Parse = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, UnsafePointer<UnsafePointer<CChar>?>?, Int32,
                                      UnsafeMutablePointer<GCUnsavedFile>?, UInt32, UInt32, UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> Int32
    typealias Reparse = @convention(c) (UnsafeMutableRawPointer?, UInt32, UnsafeMutablePointer<GCUnsavedFile>?, UInt32) -> Int32
    typealias UnitCount = @convention(c) (UnsafeMutableRawPointer?) -> UInt32
    typealias UnitItem = @convention(c) (UnsafeMutableRawPointer?, UInt32) -> UnsafeMutableRawPointer?
    typealias DiagnosticInt = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    typealias DiagnosticCount = @convention(c) (UnsafeMutableRawPointer?) -> UInt32
    typealias DiagnosticLocation = @convention(c) (UnsafeMutableRawPointer?) -> GCSourceLocation
    typealias DiagnosticText = @convention(c) (UnsafeMutableRawPointer?) -> GCString
    typealias DiagnosticOption = @convention(c) (UnsafeMutableRawPointer?, UnsafeMutablePointer<GCString>?) -> GCString
    typealias DiagnosticRange = @convention(c) (UnsafeMutableRawPointer?, UInt32) -> GCSourceRange
    typealias DiagnosticFixIt = @convention(c) (UnsafeMutableRawPointer?, UInt32, UnsafeMutablePointer<GCSourceRange>?) -> GCString
    typealias ExpansionLocation = @convention(c) (GCSourceLocation, UnsafeMutablePointer<UnsafeMutableRawPointer?>?, UnsafeMutablePointer<UInt32>?,
                                                  UnsafeMutablePointer<UInt32>?, UnsafeMutablePointer<UInt32>?) -> Void
    typealias RangeEnd = @convention(c) (GCSourceRange) -> GCSourceLocation
    typealias FileName = @convention(c) (UnsafeMutableRawPointer?) -> GCString
    typealias Version = @convention(c) () -> GCString
    typealias UnitCursor = @convention(c) (UnsafeMutableRawPointer?) -> GCCursor
    typealias VisitChildren = @convention(c) (GCCursor, GCCursorVisitor?, UnsafeMutableRawPointer?) -> UInt32
    typealias CursorInt = @convention(c) (GCCursor) -> Int32
    typealias CursorText = @convention(c) (GCCursor) -> GCString
    typealias CursorLocation = @convention(c) (GCCursor) -> GCSourceLocation
    typealias CursorType = @convention(c) (GCCursor) -> GCType
    typealias TypeType = @convention(c) (GCType) -> GCType
    typealias TypeCursor = @convention(c) (GCType) -> GCCursor
    typealias CursorFlag = @convention(c) (GCCursor) -> UInt32

    let getCString: CString
    let disposeString: DisposeString
    let createIndex: CreateIndex
    let disposeIndex: DisposePointer
    let parseTranslationUnit: Parse
    let reparseTranslationUnit: Reparse
    let defaultReparseOptions: UnitCount
    let disposeTranslationUnit: DisposePointer
    let numDiagnostics: UnitCount
    let getDiagnostic: UnitItem
    let disposeDiagnostic: DisposePointer
    let diagnosticSeverity: DiagnosticInt
    let diagnosticLocation: DiagnosticLocation
    let diagnosticSpelling: DiagnosticText
    let diagnosticOption: DiagnosticOption
    let diagnosticCategoryText: DiagnosticText
    let diagnosticNumRanges: DiagnosticCount
    let diagnosticRange: DiagnosticRange
    let diagnosticNumFixIts: DiagnosticCount
    let diagnosticFixIt: DiagnosticFixIt
    let expansionLocation: ExpansionLocation
    let rangeStart: RangeEnd
    let rangeEnd: RangeEnd
    let fileName: FileName
    let translationUnitCursor: UnitCursor
    let visitChildren: VisitChildren
    let cursorKind: CursorInt
    let cursorSpelling: CursorText
    let rawCommentText: CursorText
    let cursorLocation: CursorLocation
    let cursorType: CursorType
    let canonicalType: TypeType
    let typeDeclaration: TypeCursor
    let isAnonymousRecord: CursorFlag

    private init(path: String, handle: UnsafeMutableRawPointer) throws {
        self.path = path
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let pointer = dlsym(handle, name) else { throw LoadError.missingSymbol(path: path, symbol: name) }
            return unsafeBitCast(pointer, to: type)
        }
        getCString = try symbol("clang_getCString", as: CString.self)
        disposeString = try symbol("clang_disposeString", as: DisposeString.self)
        createIndex = try symbol("clang_createIndex", as: CreateIndex.self)
        disposeIndex = try symbol("clang_disposeIndex", as: DisposePointer.self)
        parseTranslationUnit = try symbol("clang_parseTranslationUnit2", as: Parse.self)
        reparseTranslationUnit = try symbol("clang_reparseTranslationUnit", as: Reparse.self)
        defaultReparseOptions = try symbol("clang_defaultReparseOptions", as: UnitCount.self)
        disposeTranslationUnit = try symbol("clang_disposeTranslationUnit", as: DisposePointer.self)
        numDiagnostics = try symbol("clang_getNumDiagnostics", as: UnitCount.self)
        getDiagnostic = try symbol("clang_getDiagnostic", as: UnitItem.self)
        disposeDiagnostic = try symbol("clang_disposeDiagnostic", as: DisposePointer.self)
        diagnosticSeverity = try symbol("clang_getDiagnosticSeverity", as: DiagnosticInt.self)
        diagnosticLocation = try symbol("clang_getDiagnosticLocation", as: DiagnosticLocation.self)
        diagnosticSpelling = try symbol("clang_getDiagnosticSpelling", as: DiagnosticText.self)
        diagnosticOption = try symbol("clang_getDiagnosticOption", as: DiagnosticOption.self)
        diagnosticCategoryText = try symbol("clang_getDiagnosticCategoryText", as: DiagnosticText.self)
        diagnosticNumRanges = try symbol("clang_getDiagnosticNumRanges", as: DiagnosticCount.self)
        diagnosticRange = try symbol("clang_getDiagnosticRange", as: DiagnosticRange.self)
        diagnosticNumFixIts = try symbol("clang_getDiagnosticNumFixIts", as: DiagnosticCount.self)
        diagnosticFixIt = try symbol("clang_getDiagnosticFixIt", as: DiagnosticFixIt.self)
        expansionLocation = try symbol("clang_getExpansionLocation", as: ExpansionLocation.self)
        rangeStart = try symbol("clang_getRangeStart", as: RangeEnd.self)
        rangeEnd = try symbol("clang_getRangeEnd", as: RangeEnd.self)
        fileName = try symbol("clang_getFileName", as: FileName.self)
        translationUnitCursor = try symbol("clang_getTranslationUnitCursor", as: UnitCursor.self)
        visitChildren = try symbol("clang_visitChildren", as: VisitChildren.self)
        cursorKind = try symbol("clang_getCursorKind", as: CursorInt.self)
        cursorSpelling = try symbol("clang_getCursorSpelling", as: CursorText.self)
        rawCommentText = try symbol("clang_Cursor_getRawCommentText", as: CursorText.self)
        cursorLocation = try symbol("clang_getCursorLocation", as: CursorLocation.self)
        cursorType = try symbol("clang_getCursorType", as: CursorType.self)
        canonicalType = try symbol("clang_getCanonicalType", as: TypeType.self)
        typeDeclaration = try symbol("clang_getTypeDeclaration", as: TypeCursor.self)
        isAnonymousRecord = try symbol("clang_Cursor_isAnonymousRecordDecl", as: CursorFlag.self)
        let versionText = try symbol("clang_getClangVersion", as: Version.self)
        version = string(versionText()) ?? ""
        builtinHeaderArguments = Self.builtinHeaderArguments(library: path, major: major, fileExists: { FileManager.default.fileExists(atPath: $0) })
    }

    /// A libclang string as Swift text (disposed).
    func string(_ value: GCString) -> String? {
        defer { disposeString(value) }
        return getCString(value).map { String(cString: $0) }
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: Libclang] = [:]

    /// The library at `GADGETC_LIBCLANG`, else the one installed with `compiler` (the clang the build
    /// runs: the same version, so its precompiled header is reusable), else the newest the probe's
    /// search finds; loaded once per path.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, compiler: String? = nil) throws -> Libclang {
        let chosen: String
        if let path = environment["GADGETC_LIBCLANG"], !path.isEmpty {
            chosen = path
        } else if let beside = compiler.flatMap({ besideCompiler($0, listDirectory: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }) }) {
            chosen = beside
        } else {
            guard let found = find(listDirectory: { (try? FileManager.default.contentsOfDirectory(atPath: $0)) ?? [] }) else { throw LoadError.notFound }
            chosen = found
        }
        return try lock.withLock {
            if let known = loaded[chosen] { return known }
            guard let handle = dlopen(chosen, RTLD_NOW | RTLD_LOCAL) else {
                throw LoadError.cannotLoad(path: chosen, reason: dlerror().map { String(cString: $0) } ?? "dlopen failed")
            }
            let library = try Libclang(path: chosen, handle: handle)
            loaded[chosen] = library
            return library
        }
    }

    /// Where libclang is: the multiarch library folder, /usr/lib, then each /usr/lib/llvm-N/lib, newest first.
    static func find(listDirectory: (String) -> [String], architecture: Architecture? = .host) -> String? {
        var folders = ["/usr/lib/\((architecture ?? .amd64).multiarchTriple)", "/usr/lib"]
        folders += listDirectory("/usr/lib").filter { $0.hasPrefix("llvm-") }.sorted { (Int($0.dropFirst(5)) ?? 0) > (Int($1.dropFirst(5)) ?? 0) }
            .map { "/usr/lib/\($0)/lib" }
        for folder in folders {
            let names = listDirectory(folder).filter {
                $0.hasPrefix("libclang") && $0.contains(".so") && !$0.hasPrefix("libclang-cpp") && !$0.hasPrefix("libclang_rt")
            }
            // Newest version first: libclang-16.so.16.0.6 over libclang-14.so.1.
            if let name = names.sorted(by: { versionOrder($0).lexicographicallyPrecedes(versionOrder($1)) }).last { return "\(folder)/\(name)" }
        }
        return nil
    }

    /// libclang in the installation of the clang at `compiler` (`/opt/swift/usr/bin/clang` →
    /// `/opt/swift/usr/lib/libclang.so`, `/usr/lib/llvm-16/bin/clang` → `/usr/lib/llvm-16/lib/libclang.so.1`).
    static func besideCompiler(_ compiler: String, listDirectory: (String) -> [String]) -> String? {
        let resolved = URL(fileURLWithPath: compiler).resolvingSymlinksInPath()
        let lib = resolved.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib").path
        let names = listDirectory(lib).filter { $0.hasPrefix("libclang.so") || ($0.hasPrefix("libclang-") && $0.contains(".so")) }
            .filter { !$0.hasPrefix("libclang-cpp") }
        return names.sorted { $0.count < $1.count }.first.map { "\(lib)/\($0)" }
    }

    /// clang's own headers (stdbool.h, stdarg.h, …) for this library's version, when libclang would not
    /// find them itself. libclang looks in `<its folder>/../lib/clang/N` (and ignores `-resource-dir`),
    /// which misses Debian's layout (/usr/lib/x86_64-linux-gnu/libclang-16.so, headers in
    /// /usr/lib/llvm-16/lib/clang/16): `gadgetc check` then failed on every `#include <stdbool.h>`.
    /// The folder is then given as a system include folder.
    public private(set) var builtinHeaderArguments: [String] = []

    static func builtinHeaderArguments(library: String, major: Int?, fileExists: (String) -> Bool) -> [String] {
        guard let major else { return [] }
        let folder = URL(fileURLWithPath: library).resolvingSymlinksInPath().deletingLastPathComponent()
        let own = folder.deletingLastPathComponent().appendingPathComponent("lib/clang/\(major)/include").path
        if fileExists("\(own)/stdbool.h") { return [] }
        let candidates = [folder.appendingPathComponent("clang/\(major)/include").path,
                          "/usr/lib/llvm-\(major)/lib/clang/\(major)/include", "/usr/lib/clang/\(major)/include"]
        return candidates.first { fileExists("\($0)/stdbool.h") }.map { ["-isystem", $0] } ?? []
    }

    private static func versionOrder(_ name: String) -> [Int] {
        name.split { !$0.isNumber }.compactMap { Int($0) }
    }
}
