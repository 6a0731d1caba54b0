/// The BPF program of funccount: one counter per probe, in an array indexed
/// by the probe's position, as bcc's funccount.
public enum FuncCountSource {
    /// The program and its probes for `points` (each concrete).
    public static func make(points: [ProbePoint], filter: TaskFilter) -> (source: String, probes: [GeneratedProbe]) {
        var probes: [GeneratedProbe] = []
        var text = """
            BPF_ARRAY(counts, u64, \(max(points.count, 1)));

            static __always_inline int funccount_hit(int location) {
                \(filter.statements)
                counts.atomic_increment(location);
                return 0;
            }

            """
        for (index, point) in points.enumerated() {
            let probe = GeneratedProbe(point: point, functionName: "funccount_\(index)")
            probes.append(probe)
            text += "\(probe.definitionHead()) { return funccount_hit(\(index)); }\n"
        }
        return (text, probes)
    }
}
