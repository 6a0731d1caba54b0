import BCC

/// Why a config could not run, naming the config and its file.
public enum ExporterError: Error, CustomStringConvertible {
    /// The config file has problems (each located in the file).
    case config(ConfigErrors)
    /// The config's program did not compile or load.
    case program(config: String, file: String, cause: any Error)
    /// A metric does not fit its table.
    case table(config: String, file: String, metric: String, table: String, problem: String)
    /// The config's probes could not be attached.
    case attach(config: String, file: String, cause: any Error)

    /// The config's name, where the error has one.
    public var configName: String? {
        switch self {
        case .config(let errors): return errors.errors.first.map { ConfigParser.configName(file: $0.file) }
        case let .program(config, _, _), let .table(config, _, _, _, _), let .attach(config, _, _): return config
        }
    }

    /// The stage that failed: "config", "load" or "attach".
    public var stage: String {
        switch self {
        case .config: return "config"
        case .program, .table: return "load"
        case .attach: return "attach"
        }
    }

    /// A message naming the config, its file and the problem.
    public var description: String {
        switch self {
        case .config(let errors):
            return errors.description
        case let .program(config, file, cause):
            return "config '\(config)' (\(file)): the program did not load: \(cause)"
        case let .table(config, file, metric, table, problem):
            return "config '\(config)' (\(file)): metric '\(metric)', table '\(table)': \(problem)"
        case let .attach(config, file, cause):
            return "config '\(config)' (\(file)): attaching the program failed: \(cause)"
        }
    }
}
