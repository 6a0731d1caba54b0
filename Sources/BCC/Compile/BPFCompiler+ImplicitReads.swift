import BCCDialect

extension BPFCompiler {
    /// bcc's implicit reads: loads of kernel (or user) memory through
    /// external pointers become probe reads. Runs clang's AST dump on the
    /// unit already written at `unitPath`, plans the insertions, and writes
    /// the rewritten unit back. Returns the rewrite with its body changed the
    /// same way (so diagnostics still map to the user's lines), or nil when
    /// nothing changed. Only runs on a cache miss, so a warm compile runs no clang.
    func insertImplicitReads(unit: [UInt8], unitPath: String, body: Range<Int>, rewritten: RewriteResult,
                             arguments: [String]) throws(BCCError) -> RewriteResult? {
        guard ImplicitReads.mayApply(sections: rewritten.functions.map(\.section), body: rewritten.body.text),
              let json = try ASTDump(clang: environment.clang).json(unitPath: unitPath, arguments: arguments) else { return nil }
        let helpers = try environment.availableHelpers()
        let plan: ImplicitReadPlan
        do {
            plan = try ImplicitReads.plan(
                astDump: json, unit: unit, mainFile: unitPath, editable: [0..<body.upperBound], probes: rewritten.functions.map { ($0.name, $0.section) },
                helpers: .init(kernel: helpers.contains("probe_read_kernel") ? "bpf_probe_read_kernel" : "bpf_probe_read",
                               user: helpers.contains("probe_read_user") ? "bpf_probe_read_user" : "bpf_probe_read"),
                isBitfield: { record, member in (try? environment.kernelBitfield(record, member)) ?? false })
        } catch {
            throw .compilerFailed(command: environment.clang.path, detail: "cannot read clang's AST: \(error)")
        }
        guard !plan.insertions.isEmpty else { return nil }
        guard FileSystem.write(plan.apply(to: unit), to: unitPath) else {
            throw .file(path: unitPath, detail: "cannot write the translation unit")
        }
        var result = rewritten
        result.body = rewritten.body.inserting(plan.insertions.compactMap { insertion in
            body.contains(insertion.offset) || insertion.offset == body.upperBound
                ? (offset: insertion.offset - body.lowerBound, text: insertion.text) : nil
        })
        return result
    }
}
