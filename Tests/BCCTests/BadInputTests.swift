import Foundation
import Testing
@testable import BCC
import BCCDialect

// Bad input gives one bounded, readable error naming the user's file and line.

private func rewrite(_ source: String) throws(DialectError) -> RewriteResult {
    try DialectRewriter(fileName: "prog.c", pageSize: 4096, possibleCPUs: 2).rewrite(source)
}

private func diagnostics(of error: DialectError?) -> [CompileDiagnostic] {
    guard case let .compileFailed(_, diagnostics)? = error else { return [] }
    return diagnostics
}

/// A binary file is refused before anything parses it: one error at the first
/// byte that is not text, with the file's name, not megabytes of diagnostics.
@Test func binaryInputIsRefusedUpFrontWithItsFileAndPlace() throws {
    let error = #expect(throws: DialectError.self) { try rewrite("int x;\nint y\u{0}\u{1}\u{2};\n") }
    let found = diagnostics(of: error)
    #expect(found.count == 1)
    #expect(found.first?.file == "prog.c")
    #expect(found.first?.line == 2)
    #expect(found.first?.column == 6)
    #expect(found.first?.message == "control byte 0x00 at byte offset 12: this is binary data, not C source text")

    // Bytes that are not UTF-8 are refused where they are (decoding would replace them).
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("bcc-binary-\(getpid()).c")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data([0x69, 0x6e, 0x74, 0x0a, 0xff, 0xfe, 0x00]).write(to: file)
    let fileError = #expect(throws: BCCError.self) { _ = try BPF.readSource(file.path) }
    guard case let .compileFailed(name, fileDiagnostics)? = fileError else { Issue.record("wrong error \(String(describing: fileError))"); return }
    #expect(name == file.path)
    #expect(fileDiagnostics.map(\.line) == [2])
    #expect(fileDiagnostics.first?.message.contains("0xff, which is not UTF-8") == true)
    // Tabs, form feeds and CRLF line ends are text.
    _ = try rewrite("int x;\r\n\tint y;\u{0C}\n")
}

/// A compile error shows at most 20 diagnostics, then how many more there were.
@Test func compileErrorsShowAtMostTwentyDiagnostics() {
    let many = (1...50).map {
        CompileDiagnostic(file: "prog.c", line: $0, column: 1, severity: $0 % 10 == 0 ? .warning : .error,
                          message: "problem \($0)", sourceLine: "x")
    }
    let text = DialectError.compileFailed(file: "prog.c", diagnostics: many).description
    #expect(text.hasPrefix("prog.c: 45 errors compiling the BPF program\n"))
    #expect(text.contains("prog.c:20:1: warning: problem 20"))
    #expect(!text.contains("problem 21"))
    #expect(text.hasSuffix("\n27 more errors and 3 more warnings and notes not shown"))
    // A very long source line is shown around the column, not whole.
    let long = CompileDiagnostic(file: "prog.c", line: 1, column: 5000, severity: .error, message: "here",
                                 sourceLine: String(repeating: "a", count: 4999) + "b" + String(repeating: "c", count: 5000))
    let lines = long.description.split(separator: "\n")
    #expect(lines[1].count <= 4 + 160)
    #expect(lines[1].contains("b"))
    #expect(lines[2].count == lines[1].firstIndex(of: "b").map { lines[1].distance(from: lines[1].startIndex, to: $0) + 1 })
}

/// Mapping clang's diagnostics back to the user's lines indexes the
/// rewritten text once, not once per diagnostic: 5000 diagnostics over a
/// 2 MB program take well under a second (each indexed the whole text).
@Test func manyDiagnosticsOverALargeProgramMapQuickly() throws {
    let line = String(repeating: "x", count: 99) + "\n"
    let source = String(repeating: line, count: 20_000)  // 2 MB
    let rewritten = try rewrite(source)
    let output = (1...5000).map { "prog.c:\($0 * 4):5: error: expected ';'" }.joined(separator: "\n")
    let started = ContinuousClock.now
    let mapped = ClangDiagnostics.parse(output, userFile: "prog.c", rewritten: rewritten)
    let elapsed = ContinuousClock.now - started
    #expect(mapped.count == 5000)
    #expect(mapped.last?.line == 20_000)
    #expect(elapsed < .seconds(5), "took \(elapsed)")
}

/// A ring buffer larger than the kernel's 32-bit size is an error naming the
/// table, the line and the limit (it became "max_entries 0" at load).
@Test func ringBufferPagesBeyondTheLimitAreAnErrorNamingTheTable() {
    let error = #expect(throws: DialectError.self) {
        try rewrite("struct x { int a; };\nBPF_RINGBUF_OUTPUT(events, 1<<20);\n")
    }
    let found = diagnostics(of: error)
    #expect(found.count == 1)
    #expect(found.first?.line == 2)
    #expect(found.first?.column == 28)
    #expect(found.first?.message == "BPF_RINGBUF_OUTPUT(events, 1<<20): 1048576 pages of 4096 bytes is more than a ring buffer "
                + "can hold; the limit is 524288 pages (2 GiB: its size in bytes is a 32-bit power of two)")
    // The limit itself is fine.
    #expect(throws: Never.self) { try rewrite("BPF_RINGBUF_OUTPUT(events, 1<<19);\n") }
}

/// A missing ';' before a line the rewriter turns into `({ ... })` is
/// reported as clang reports it in the user's own text: "expected ';'" at
/// the end of the line that lacks it (it was "expected expression" a line later).
@Test func missingSemicolonBeforeARewrittenStatementIsReportedWhereItIsMissing() throws {
    let setup = try StubCompileSetup()
    defer { try? FileManager.default.removeItem(at: setup.directory) }
    for (second, third) in [("    u32 other = 1", "    counts.increment(key);"),
                            ("    u64 *value = 0", "    counts.lookup(&key);"),
                            ("    u64 ts = bpf_ktime_get_ns()", "    bpf_trace_printk(\"ts %llu\\n\", ts);")] {
        let source = "BPF_HASH(counts, u32, u64);\nint kprobe__f(struct pt_regs *ctx) {\n    u32 key = 2;\n\(second)\n\(third)\n    return 0;\n}\n"
        let error = #expect(throws: BCCError.self) { try setup.compile(source) }
        guard case let .compileFailed(_, diagnostics)? = error else { Issue.record("wrong error \(String(describing: error))"); continue }
        let first = try #require(diagnostics.first)
        #expect(first.line == 4, "\(diagnostics)")
        #expect(first.column == second.count + 1, "\(diagnostics)")
        #expect(first.message.hasPrefix("expected ';'"), "\(diagnostics)")
    }
    // The guarded statements still compile and load as before.
    _ = try setup.compile("BPF_HASH(counts, u32, u64);\nint kprobe__f(struct pt_regs *ctx) {\n    u32 key = 2;\n"
                          + "    counts.increment(key);\n    counts.lookup(&key);\n    return 0;\n}\n")
}
