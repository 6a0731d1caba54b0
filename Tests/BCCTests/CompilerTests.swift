import Foundation
import Testing
@testable import BCC
import TestSupport

/// A compile environment over a header made from the UAPI <linux/bpf.h>
/// (no kernel types needed), with a clang wrapper that counts its runs and
/// runs the shell lines `beforeClang` first.
struct StubCompileSetup {
    let directory: URL
    let environment: CompileEnvironment
    let countFile: URL

    init(beforeClang: String = "") throws {
        directory = try TestSupport.temporaryDirectory("bcc-compiler")
        let header = directory.appendingPathComponent("stub.h")
        try """
            #include <linux/bpf.h>
            typedef unsigned long size_t; typedef long long s64_unused;
            struct pt_regs { unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss; };
            """.write(to: header, atomically: true, encoding: .utf8)
        countFile = directory.appendingPathComponent("runs")
        let wrapper = directory.appendingPathComponent("clang")
        try "#!/bin/sh\necho run >> '\(countFile.path)'\n\(beforeClang)\nexec '\(TestSupport.clang)' -I/usr/include/x86_64-linux-gnu \"$@\"\n"
            .write(to: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper.path, 0o755)
        environment = CompileEnvironment(
            headerPath: header.path, precompiledHeaderPath: nil, headerIdentity: "uapi-stub",
            pageSize: 4096, possibleCPUs: 2, architecture: "x86_64",
            clang: ClangDriver(path: wrapper.path), cacheDirectory: directory.appendingPathComponent("cache").path,
            tracepointArgs: { (category, name) throws(BCCError) in
                throw .tracepointFormat(tracepoint: "\(category):\(name)", detail: "no tracefs in this test")
            },
            availableHelpers: { Set(HelperPrototypes.all.map(\.name)) },
            kernelRelease: "6.18.0-stub",
            kernelFacts: { KernelFacts(pageSize: 4096, architecture: "x86_64", versionCode: 0x061200) },
            kernelDefinesType: { _ in false })
    }

    var clangRuns: Int {
        ((try? String(contentsOf: countFile, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    func compile(_ source: String) throws -> CompiledProgram {
        try BPFCompiler(environment: environment).compile(source: source, fileName: "prog.c", cflags: [], includeDirectory: nil)
    }
}

@Test func guideProgramCompilesAndAWarmCompileDoesNotRunClang() throws {
    let setup = try StubCompileSetup()
    defer { try? FileManager.default.removeItem(at: setup.directory) }
    let cold = try setup.compile(guideRingBufferProgram)
    #expect(!cold.fromCache)
    #expect(cold.object.starts(with: [0x7F, 0x45, 0x4C, 0x46]))
    // Cold: the AST dump for the implicit reads, then the compile.
    #expect(setup.clangRuns == 2)
    let warm = try setup.compile(guideRingBufferProgram)
    #expect(warm.fromCache)
    #expect(warm.object == cold.object)
    #expect(setup.clangRuns == 2)
    // A different program is a different key.
    _ = try setup.compile(guideRingBufferProgram + "\n// changed\n")
    #expect(setup.clangRuns == 4)
}

@Test func syntaxErrorNamesTheUserLine() throws {
    let setup = try StubCompileSetup()
    defer { try? FileManager.default.removeItem(at: setup.directory) }
    let source = "BPF_HASH(counts, u32, u64);\n\nint kprobe__f(struct pt_regs *ctx) {\n    u32 key = 1\n    return counts.lookup(&key) != 0;\n}\n"
    let error = #expect(throws: BCCError.self) { try setup.compile(source) }
    guard case let .compileFailed(file, diagnostics)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
    #expect(file == "prog.c")
    let first = try #require(diagnostics.first)
    #expect(first.line == 4)
    #expect(first.column == 16)
    #expect(first.sourceLine == "    u32 key = 1")
    #expect(first.message.contains("expected ';'"))
    // Nothing of the rewritten text leaks into the message.
    #expect(!String(describing: error!).contains("__bcc"))
}

@Test func unknownIdentifierNamesTheUserLineAndColumn() throws {
    let setup = try StubCompileSetup()
    defer { try? FileManager.default.removeItem(at: setup.directory) }
    let source = "BPF_HASH(counts, u32, u64);\nint kprobe__f(struct pt_regs *ctx) {\n    counts.increment(no_such_thing, 2);\n    return 0;\n}\n"
    let error = #expect(throws: BCCError.self) { try setup.compile(source) }
    guard case let .compileFailed(_, diagnostics)? = error else { Issue.record("wrong error \(String(describing: error))"); return }
    let first = try #require(diagnostics.first)
    #expect(first.line == 3)
    #expect(first.column == 22)
    #expect(first.message == "use of undeclared identifier 'no_such_thing'")
    #expect(first.description == "prog.c:3:22: error: use of undeclared identifier 'no_such_thing'\n        counts.increment(no_such_thing, 2);\n                         ^")
}
