import Yams

/// A YAML node with the path that reached it, so that every problem can say
/// where it is. Problems go to a shared `ConfigProblems`; accessors return
/// nil after reporting one, and validation goes on.
struct YAMLValue {
    /// The node.
    let node: Node
    /// "metrics.counters[0].name"; empty at the document root.
    let path: String
    /// Where problems are collected.
    let problems: ConfigProblems

    /// Reports `problem` at this node.
    func report(_ problem: String) {
        problems.add(ConfigError(file: problems.file, path: path, line: node.mark?.line, column: node.mark?.column,
                                 problem: problem))
    }

    /// A member's path: "a.b", or "b" at the root.
    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    // MARK: - Mappings

    /// The mapping's entries by key, after reporting keys outside `known`
    /// (with the ones that are known, to catch typos) and `unsupported`
    /// (with why); nil, reported, when the node is not a mapping.
    func mapping(known: [String], unsupported: [String: String] = [:], what: String) -> [String: YAMLValue]? {
        guard case .mapping(let mapping) = node else {
            report("expected \(what) (a mapping of keys to values)")
            return nil
        }
        var members: [String: YAMLValue] = [:]
        for (keyNode, valueNode) in mapping {
            guard let key = keyNode.scalar?.string else {
                YAMLValue(node: keyNode, path: path, problems: problems).report("a key must be a plain string")
                continue
            }
            let member = YAMLValue(node: valueNode, path: childPath(key), problems: problems)
            if let reason = unsupported[key] {
                YAMLValue(node: keyNode, path: member.path, problems: problems).report(reason)
                continue
            }
            guard known.contains(key) else {
                YAMLValue(node: keyNode, path: member.path, problems: problems)
                    .report("unknown key '\(key)' in \(what) (known: \(known.joined(separator: ", ")))")
                continue
            }
            if members[key] != nil {
                YAMLValue(node: keyNode, path: member.path, problems: problems).report("'\(key)' is given twice")
                continue
            }
            members[key] = member
        }
        return members
    }

    /// The entries of a sequence, each with its index in the path; nil,
    /// reported, when the node is not a sequence.
    func sequence(what: String) -> [YAMLValue]? {
        guard case .sequence(let sequence) = node else {
            report("expected \(what) (a list)")
            return nil
        }
        return sequence.enumerated().map { index, element in
            YAMLValue(node: element, path: "\(path)[\(index)]", problems: problems)
        }
    }

    // MARK: - Scalars

    /// The scalar's text; nil, reported, for a mapping or a list.
    func string(what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            report("expected \(what) (a string)")
            return nil
        }
        return scalar.string
    }

    /// A non-empty string.
    func nonEmptyString(what: String) -> String? {
        guard let text = string(what: what) else { return nil }
        guard !text.isEmpty else {
            report("\(what) is empty")
            return nil
        }
        return text
    }

    /// An integer in `range`.
    func integer(what: String, in range: ClosedRange<Int>) -> Int? {
        guard case .scalar(let scalar) = node else {
            report("expected \(what) (an integer)")
            return nil
        }
        guard let value = Int(scalar.string) ?? node.int else {
            report("expected \(what) (an integer), found '\(scalar.string)'")
            return nil
        }
        guard range.contains(value) else {
            report("\(what) must be between \(range.lowerBound) and \(range.upperBound), found \(value)")
            return nil
        }
        return value
    }

    /// A finite number greater than zero.
    func positiveNumber(what: String) -> Double? {
        guard case .scalar(let scalar) = node else {
            report("expected \(what) (a number)")
            return nil
        }
        guard let value = Double(scalar.string) ?? node.float, value.isFinite else {
            report("expected \(what) (a number), found '\(scalar.string)'")
            return nil
        }
        guard value > 0 else {
            report("\(what) must be greater than 0, found \(scalar.string)")
            return nil
        }
        return value
    }

    /// true or false.
    func boolean(what: String) -> Bool? {
        guard case .scalar(let scalar) = node, let value = node.bool else {
            report("expected \(what) (true or false)")
            return nil
        }
        _ = scalar
        return value
    }
}

/// The problems found in one file, in the order found.
final class ConfigProblems {
    /// The file they are in.
    let file: String
    /// What was found.
    private(set) var errors: [ConfigError] = []

    init(file: String) { self.file = file }

    func add(_ error: ConfigError) { errors.append(error) }
}
