import CLibclang
import Foundation

/// clang's front end in-process (libclang): parses a gadget's source with the command line a compile
/// would run and returns clang's diagnostics, with categories, ranges and fix-its — no object written.
/// Keeps each translation unit (one per source and arch) so that checking again after an edit is a
/// re-parse, which reuses the precompiled preamble (the headers before the first line of code) when
/// `keepsPreambles` is on. One thread at a time: libclang's units are not shared across threads.
public final class LibclangFrontEnd: @unchecked Sendable {
    public let library: Libclang
    /// Reuse preambles across re-parses (watch); a one-shot check does not pay for making one.
    public let keepsPreambles: Bool
    private let lock = NSLock()
    private let index: UnsafeMutableRawPointer?
    private var units: [String: (arguments: [String], unit: UnsafeMutableRawPointer)] = [:]

    // CXTranslationUnit_* flags.
    private static let precompiledPreamble: UInt32 = 0x04
    private static let createPreambleOnFirstParse: UInt32 = 0x100
    private static let keepGoing: UInt32 = 0x200

    public init(library: Libclang, keepsPreambles: Bool = false) {
        self.library = library
        self.keepsPreambles = keepsPreambles
        index = library.createIndex(0, 0)
    }

    deinit {
        for entry in units.values { library.disposeTranslationUnit(entry.unit) }
        library.disposeIndex(index)
    }

    public struct ParseError: Error, CustomStringConvertible {
        public var source: String
        public var code: Int32
        public var description: String {
            "libclang could not parse \(source) (error \(code)): run `gadgetc build` to see clang's own messages"
        }
    }

    /// clang's diagnostics for `source` compiled with `arguments` (the driver's flags without the
    /// program name, `-c`, outputs or depfiles); `key` names the unit to keep (source and arch).
    public func diagnostics(source: String, arguments: [String], key: String) throws -> [CompilerDiagnostic] {
        try lock.withLock {
            let unit = try translationUnit(source: source, arguments: arguments, key: key)
            return collect(unit)
        }
    }

    private func translationUnit(source: String, arguments: [String], key: String) throws -> UnsafeMutableRawPointer {
        if let known = units[key], known.arguments == arguments {
            // The same command: re-parse, which reads the files again and reuses the preamble.
            let code = library.reparseTranslationUnit(known.unit, 0, nil, library.defaultReparseOptions(known.unit))
            if code == 0 { return known.unit }
            library.disposeTranslationUnit(known.unit)
            units[key] = nil
        } else if let known = units.removeValue(forKey: key) {
            library.disposeTranslationUnit(known.unit)
        }
        var options = Self.keepGoing
        if keepsPreambles { options |= Self.precompiledPreamble | Self.createPreambleOnFirstParse }
        var unit: UnsafeMutableRawPointer?
        let code: Int32 = withCStrings(arguments) { argv in
            library.parseTranslationUnit(index, source, argv, Int32(arguments.count), nil, 0, options, &unit)
        }
        guard code == 0, let unit else { throw ParseError(source: source, code: code) }
        units[key] = (arguments, unit)
        return unit
    }

    private func collect(_ unit: UnsafeMutableRawPointer) -> [CompilerDiagnostic] {
        var found: [CompilerDiagnostic] = []
        for index in 0..<library.numDiagnostics(unit) {
            guard let diagnostic = library.getDiagnostic(unit, index) else { continue }
            defer { library.disposeDiagnostic(diagnostic) }
            let severity: CompilerDiagnostic.Severity
            switch library.diagnosticSeverity(diagnostic) {
            case 1: severity = .note
            case 2: severity = .warning
            case 3: severity = .error
            case 4: severity = .fatalError
            default: continue  // ignored
            }
            let place = location(library.diagnosticLocation(diagnostic))
            var disable = GCString(data: nil, flags: 0)
            let option = library.string(library.diagnosticOption(diagnostic, &disable))
            library.disposeString(disable)
            var entry = CompilerDiagnostic(file: place.file, line: place.line, column: place.column, severity: severity,
                                           message: library.string(library.diagnosticSpelling(diagnostic)) ?? "",
                                           option: option.flatMap { $0.isEmpty ? nil : $0 })
            entry.category = library.string(library.diagnosticCategoryText(diagnostic)).flatMap { $0.isEmpty ? nil : $0 }
            let ranges = (0..<library.diagnosticNumRanges(diagnostic)).map { range(library.diagnosticRange(diagnostic, $0)) }
            entry.ranges = ranges.isEmpty ? nil : ranges
            var fixIts: [CompilerDiagnostic.FixIt] = []
            for fix in 0..<library.diagnosticNumFixIts(diagnostic) {
                var replaced = GCSourceRange(pointers: (nil, nil), beginOffset: 0, endOffset: 0)
                let text = library.string(library.diagnosticFixIt(diagnostic, fix, &replaced)) ?? ""
                fixIts.append(CompilerDiagnostic.FixIt(range: range(replaced), replacement: text))
            }
            entry.fixIts = fixIts.isEmpty ? nil : fixIts
            found.append(entry)
        }
        return found
    }

    private func location(_ location: GCSourceLocation) -> (file: String?, line: Int, column: Int) {
        var file: UnsafeMutableRawPointer?
        var line: UInt32 = 0, column: UInt32 = 0, offset: UInt32 = 0
        library.expansionLocation(location, &file, &line, &column, &offset)
        return (file.flatMap { library.string(library.fileName($0)) }, Int(line), Int(column))
    }

    private func range(_ range: GCSourceRange) -> CompilerDiagnostic.SourceRange {
        let start = location(library.rangeStart(range)), end = location(library.rangeEnd(range))
        return CompilerDiagnostic.SourceRange(file: start.file, startLine: start.line, startColumn: start.column,
                                              endLine: end.line, endColumn: end.column)
    }
}

/// `arguments` as a C `argv` for the duration of `body`.
func withCStrings<T>(_ arguments: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
    let copies = arguments.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]  // never empty, so the buffer has an address
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}

/// One front end per libclang library, chosen per plan: the libclang installed with the plan's clang
/// when there is one (its precompiled header is then reusable), else the one found on the host.
public final class LibclangFrontEnds: @unchecked Sendable {
    private let keepsPreambles: Bool
    private let environment: [String: String]
    private let lock = NSLock()
    private var byLibrary: [String: LibclangFrontEnd] = [:]

    public init(keepsPreambles: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.keepsPreambles = keepsPreambles
        self.environment = environment
    }

    /// The front end for `plan` (throws `Libclang.LoadError` when no libclang loads).
    public func frontEnd(for plan: BuildPlan) throws -> LibclangFrontEnd {
        let library = try Libclang.load(environment: environment, compiler: plan.compiler?.path)
        return lock.withLock {
            if let known = byLibrary[library.path] { return known }
            let made = LibclangFrontEnd(library: library, keepsPreambles: keepsPreambles)
            byLibrary[library.path] = made
            return made
        }
    }
}
