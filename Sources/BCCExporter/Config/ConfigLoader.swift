import Foundation

/// Finds and parses config files: a file, or every .yaml / .yml file of a
/// directory, in name order. Every file is parsed and checked before any
/// program is loaded.
public enum ConfigLoader {
    /// The result of loading: the valid configs and the files that failed.
    public struct Result: Sendable {
        /// Valid configs, in the order given (a directory's in name order).
        public var configs: [ExporterConfig]
        /// The problems of the files that failed, one entry a file.
        public var failures: [ConfigErrors]
    }

    /// The config files `path` names: itself, or a directory's .yaml and .yml files.
    public static func files(at path: String) throws(ConfigError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError(file: path, path: "", problem: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw ConfigError(file: path, path: "", problem: "cannot list the directory: \(error.localizedDescription)")
        }
        let files = entries.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        guard !files.isEmpty else {
            throw ConfigError(file: path, path: "", problem: "the directory has no .yaml or .yml config files")
        }
        return files.map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
    }

    /// Parses every config at `paths`. Two configs with one name, or a
    /// metric name another config already exports, fail the later config.
    public static func load(paths: [String]) -> Result {
        var result = Result(configs: [], failures: [])
        var files: [String] = []
        for path in paths {
            do {
                files += try self.files(at: path)
            } catch {
                result.failures.append(ConfigErrors([error]))
            }
        }
        var metricOwners: [String: String] = [:]
        for file in files {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                result.failures.append(ConfigErrors([ConfigError(file: file, path: "", problem: "cannot read it: \(error.localizedDescription)")]))
                continue
            }
            do {
                let config = try ConfigParser.parse(text, file: file)
                if let other = result.configs.first(where: { $0.name == config.name }) {
                    throw ConfigErrors([ConfigError(file: file, path: "", problem: "a config named '\(config.name)' is already loaded from \(other.file)")])
                }
                var clashes: [ConfigError] = []
                for (index, name) in (config.counters.map(\.name) + config.histograms.map(\.name)).enumerated() {
                    if let owner = metricOwners[name] {
                        let path = index < config.counters.count ? "metrics.counters[\(index)].name"
                            : "metrics.histograms[\(index - config.counters.count)].name"
                        clashes.append(ConfigError(file: file, path: path, problem: "metric '\(name)' is already exported by config '\(owner)'"))
                    }
                }
                guard clashes.isEmpty else { throw ConfigErrors(clashes) }
                for name in config.counters.map(\.name) + config.histograms.map(\.name) { metricOwners[name] = config.name }
                result.configs.append(config)
            } catch let errors as ConfigErrors {
                result.failures.append(errors)
            } catch {
                result.failures.append(ConfigErrors([ConfigError(file: file, path: "", problem: "\(error)")]))
            }
        }
        return result
    }
}
