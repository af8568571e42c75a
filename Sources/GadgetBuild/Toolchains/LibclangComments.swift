import CLibclang
import Foundation

extension Libclang {
    /// The flag that makes clang attach every comment to the declaration it stands by, not only
    /// `///` and `/** */` doc comments: maintainers of gadgets mostly write plain `//` ones.
    public static let parseAllComments = "-fparse-all-comments"

    // CXCursorKind, CXTypeKind and CXChildVisitResult (continue) values (clang-c/Index.h, stable across versions).
    private static let structDecl: Int32 = 2, unionDecl: Int32 = 3, fieldDecl: Int32 = 6, varDecl: Int32 = 9
    private static let recordType: Int32 = 105
    private static let visitContinue: Int32 = 1

    /// Parses `source` with a compile's `arguments` (as `SourceCheck.frontEndCommand` makes them) and
    /// reads the comments on the members of the structs named in `structs` (through nested structs and
    /// anonymous ones, by the paths ig gives their fields) and on the global variables in `variables`.
    /// A variable a macro declares (`GADGET_TRACER(…);`) gets the comment beside or above the macro's use.
    public func comments(source: String, arguments: [String], structs: Set<String>, variables: Set<String>) throws -> SourceComments {
        guard let index = createIndex(0, 0) else { throw LibclangFrontEnd.ParseError(source: source, code: -1) }
        defer { disposeIndex(index) }
        // Function bodies hold nothing gadget.yaml describes: clang need not parse them.
        let options: UInt32 = 0x200 /* KeepGoing */ | 0x40 /* SkipFunctionBodies */
        let flags = arguments + (arguments.contains(Self.parseAllComments) ? [] : [Self.parseAllComments])
        var unit: UnsafeMutableRawPointer?
        let code: Int32 = withCStrings(flags) { argv in
            parseTranslationUnit(index, source, argv, Int32(flags.count), nil, 0, options, &unit)
        }
        guard code == 0, let unit else { throw LibclangFrontEnd.ParseError(source: source, code: code) }
        defer { disposeTranslationUnit(unit) }

        var result = SourceComments()
        var fileLines: [String: [Substring]] = [:]
        children(of: translationUnitCursor(unit)) { cursor in
            let kind = cursorKind(cursor)
            guard kind == Self.structDecl || kind == Self.unionDecl || kind == Self.varDecl,
                  let name = string(cursorSpelling(cursor)), !name.isEmpty else { return }
            if kind == Self.varDecl {
                guard variables.contains(name), result.variables[name] == nil else { return }
                // Markers are made by macros, whose declarations clang attaches no comment to.
                let text = comment(cursor) ?? (name.hasPrefix("gadget_") ? macroUseComment(cursor, files: &fileLines) : nil)
                if let text { result.variables[name] = text }
            } else if structs.contains(name), result.members[name]?.isEmpty ?? true {
                // The definition, wherever this declaration is (a forward declaration has no members).
                let definition = typeDeclaration(canonicalType(cursorType(cursor)))
                var members: [String: String] = [:]
                collectMembers(of: definition, prefix: "", depth: 0, into: &members)
                result.members[name] = members
            }
        }
        return result
    }

    /// The comment clang attached to `cursor`, cleaned.
    private func comment(_ cursor: GCCursor) -> String? {
        string(rawCommentText(cursor)).flatMap(SourceComments.clean)
    }

    /// Member paths → comments, as ig's eBPF operator names the fields: a named struct or union
    /// member's members under `name.`, an anonymous one's under the parent's prefix.
    private func collectMembers(of record: GCCursor, prefix: String, depth: Int, into members: inout [String: String]) {
        guard depth < 16 else { return }
        children(of: record) { cursor in
            let kind = cursorKind(cursor)
            if kind == Self.fieldDecl {
                guard let name = string(cursorSpelling(cursor)), !name.isEmpty else { return }
                let path = prefix + name
                if members[path] == nil, let text = comment(cursor) { members[path] = text }
                let type = canonicalType(cursorType(cursor))
                if type.kind == Self.recordType {
                    collectMembers(of: typeDeclaration(type), prefix: path + ".", depth: depth + 1, into: &members)
                }
            } else if (kind == Self.structDecl || kind == Self.unionDecl), isAnonymousRecord(cursor) != 0 {
                collectMembers(of: cursor, prefix: prefix, depth: depth + 1, into: &members)
            }
        }
    }

    /// For a declaration a macro makes: the comment beside or above the macro's use, read from the file.
    private func macroUseComment(_ cursor: GCCursor, files: inout [String: [Substring]]) -> String? {
        var file: UnsafeMutableRawPointer?
        var line: UInt32 = 0, column: UInt32 = 0, offset: UInt32 = 0
        expansionLocation(cursorLocation(cursor), &file, &line, &column, &offset)
        guard let path = file.flatMap({ string(fileName($0)) }) else { return nil }
        if files[path] == nil {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            files[path] = text.split(separator: "\n", omittingEmptySubsequences: false)
        }
        return SourceComments.comment(atLine: Int(line), of: files[path] ?? [])
    }

    /// Calls `body` with each child of `parent` (not their children).
    private func children(of parent: GCCursor, _ body: (GCCursor) -> Void) {
        withoutActuallyEscaping(body) { body in
            let box = ChildVisit(body)
            let visitor: GCCursorVisitor = { cursor, _, context in
                Unmanaged<ChildVisit>.fromOpaque(context!).takeUnretainedValue().body(cursor)
                return Libclang.visitContinue
            }
            _ = withExtendedLifetime(box) { visitChildren(parent, visitor, Unmanaged.passUnretained(box).toOpaque()) }
        }
    }
}

/// The closure a libclang visit calls, behind the C visitor's context pointer.
private final class ChildVisit {
    let body: (GCCursor) -> Void
    init(_ body: @escaping (GCCursor) -> Void) { self.body = body }
}
