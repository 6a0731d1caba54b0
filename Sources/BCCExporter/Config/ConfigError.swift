/// A problem with a config, located: the file, the YAML path inside it
/// ("metrics.histograms[0].bucket_type"), the line and column where the YAML
/// has them, and what is wrong.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The config file (or the .c file it names).
    public var file: String
    /// Where in the YAML document, e.g. "metrics.counters[1].labels[0].size"; empty for the whole file.
    public var path: String
    /// The 1-based line of the offending node, when known.
    public var line: Int?
    /// The 1-based column of the offending node, when known.
    public var column: Int?
    /// What is wrong, and how to fix it where that is clear.
    public var problem: String

    /// A located problem.
    public init(file: String, path: String, line: Int? = nil, column: Int? = nil, problem: String) {
        self.file = file
        self.path = path
        self.line = line
        self.column = column
        self.problem = problem
    }

    /// "file.yaml:12:7: metrics.histograms[0].bucket_type: unknown bucket type 'exp3' ...".
    public var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return path.isEmpty ? "\(location): \(problem)" : "\(location): \(path): \(problem)"
    }
}

/// Every problem found in one config file: validation goes on past the
/// first so that one run shows them all.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in document order.
    public var errors: [ConfigError]

    /// Wraps `errors` (at least one).
    public init(_ errors: [ConfigError]) { self.errors = errors }

    /// One problem a line.
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
