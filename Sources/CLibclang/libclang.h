#pragma once
// The types of libclang's stable C API that gadgetc passes by value, laid out as libclang lays them out
// (clang-c/Index.h: CXString, CXSourceLocation, CXSourceRange, CXUnsavedFile, CXCursor, CXType). gadgetc does
// not link libclang: it loads it at run time (dlopen) when a command needs it, and builds without its
// headers; the functions it looks up are typed in Swift (Libclang.swift) with these.
typedef struct { const void *data; unsigned flags; } GCString;
typedef struct { const void *pointers[2]; unsigned offset; } GCSourceLocation;
typedef struct { const void *pointers[2]; unsigned beginOffset; unsigned endOffset; } GCSourceRange;
typedef struct { const char *filename; const char *contents; unsigned long length; } GCUnsavedFile;
typedef struct { int kind; int xdata; const void *data[3]; } GCCursor;
typedef int (*GCCursorVisitor)(GCCursor cursor, GCCursor parent, void *clientData);
typedef struct { int kind; void *data[2]; } GCType;
