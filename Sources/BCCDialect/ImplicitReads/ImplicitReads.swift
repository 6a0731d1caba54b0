// bcc's implicit kernel reads in one call: clang's AST dump of the
// translation unit in, the insertions that turn external loads into probe
// reads out. Pure: the caller runs clang.

/// Plans bcc's implicit memory reads for a translation unit.
package enum ImplicitReads {
    /// Decodes `astDump` (clang's `-Xclang -ast-dump=json` of the unit at
    /// `mainFile`, whose bytes are `unit`), finds the loads of external memory
    /// in the functions of `probes` and what they call, and plans their
    /// rewrite inside the `editable` byte ranges of the unit.
    package static func plan(astDump: [UInt8], unit: [UInt8], mainFile: String, editable: [Range<Int>],
                             probes: [(name: String, section: String)], helpers: ImplicitReadPlan.ReadHelpers,
                             isBitfield: (_ record: String, _ member: String) -> Bool = { _, _ in false }) throws(ClangASTError) -> ImplicitReadPlan {
        var decoder = ClangASTDecoder(mainFile: mainFile)
        let root = try decoder.decode(astDump)
        let analysis = ExternalPointerAnalysis(unit: root, source: unit, probes: probes)
        return ImplicitReadPlan(loads: analysis.loads, unit: unit, editable: editable, helpers: helpers, isBitfield: isBitfield)
    }
}

extension ImplicitReads {
    /// False when no function of a program can hold an external pointer (no
    /// tracing section among `sections`, no bpf_get_current_task in `body`),
    /// so clang's AST is not needed.
    package static func mayApply(sections: [String], body: String) -> Bool {
        let tracing = ["kprobe", "kretprobe", "tracepoint", "raw_tracepoint", "uprobe", "uretprobe"]
        if sections.contains(where: { section in tracing.contains { section.hasPrefix($0) } }) { return true }
        return body.contains("bpf_get_current_task")
    }
}
