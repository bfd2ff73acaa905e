import Model
import PromQL
import TSDB

extension RuleFileFormat {
    /// Checks everything `promtool check rules` checks after decoding and builds the validated file.
    ///
    /// All problems are collected, in promtool's order: per group its name, then per rule the record/alert
    /// choice, durations, the expression, recording-rule restrictions, label and annotation names, and templates.
    /// The file is returned only when there are no problems.
    func validate(file: String) -> Result<RuleFile, RuleErrors> {
        var errors: [RuleError] = []
        var groups: [RuleGroupSpec] = []
        var seen: Set<String> = []
        for group in self.groups {
            let name = group.name?.value ?? ""
            let at = group.position
            if name.isEmpty {
                errors.append(RuleError(
                    code: .invalidValue, file: file, line: at.line, column: at.column, message: "Groupname must not be empty"))
            }
            if !seen.insert(name).inserted {
                errors.append(RuleError(
                    code: .invalidValue, file: file, line: at.line, column: at.column,
                    message: "groupname: \"\(name)\" is repeated in the same file"))
            }
            func groupError(_ message: String, at position: Position) -> RuleError {
                RuleError(code: .invalidValue, file: file, line: position.line, column: position.column, group: name, message: message)
            }
            var interval: Int64?
            if let text = group.interval {
                switch duration(text) {
                case .success(let milliseconds): interval = milliseconds == 0 ? nil : milliseconds
                case .failure(let message): errors.append(groupError(message, at: text.position))
                }
            }
            var rules: [RuleSpec] = []
            for (index, rule) in group.rules.enumerated() {
                let (spec, problems) = rule.validate()
                if let spec { rules.append(spec) }
                errors += problems.map { problem in
                    RuleError(
                        code: problem.code, file: file, line: problem.position?.line, column: problem.position?.column,
                        group: name, rule: index + 1, ruleName: rule.displayName, message: problem.message, cause: problem.cause)
                }
            }
            groups.append(RuleGroupSpec(
                name: name, interval: interval, limit: group.limit?.value ?? 0, rules: rules, line: at.line, column: at.column))
        }
        return errors.isEmpty ? .success(RuleFile(groups: groups)) : .failure(RuleErrors(errors))
    }
}

/// RuleProblem is a problem with one rule, before the file and group are known.
struct RuleProblem {
    var code: RuleError.Code
    var message: String
    var position: Position?
    var cause: (any Error & Sendable)?
}

extension RuleFormat {
    /// Validates one rule as promtool does, returning its spec, or nil and every problem found.
    func validate() -> (RuleSpec?, [RuleProblem]) {
        var problems: [RuleProblem] = []
        func problem(_ message: String, at position: Position?, code: RuleError.Code = .invalidValue) {
            problems.append(RuleProblem(code: code, message: message, position: position))
        }
        let recordName = record?.value ?? ""
        let alertName = alert?.value ?? ""
        if !recordName.isEmpty && !alertName.isEmpty {
            problem("only one of 'record' and 'alert' must be set", at: record?.position)
        }
        if recordName.isEmpty && alertName.isEmpty {
            problem("one of 'record' or 'alert' must be set", at: record?.position ?? alert?.position ?? position)
        }

        var durations: [Int64] = []
        for field in [holdDuration, keepFiringFor] {
            guard let field else {
                durations.append(0)
                continue
            }
            switch duration(field) {
            case .success(let milliseconds): durations.append(milliseconds)
            case .failure(let message):
                problem(message, at: field.position)
                durations.append(0)
            }
        }

        var parsed: Expr?
        let exprText = expr?.value ?? ""
        if exprText.isEmpty {
            problem("field 'expr' must be set in rule", at: expr?.position ?? position)
        } else {
            do {
                parsed = try parseExpr(exprText)
            } catch {
                problems.append(RuleProblem(
                    code: .invalidExpression, message: "could not parse expression: \(error)", position: expr?.position,
                    cause: error))
            }
        }

        if !recordName.isEmpty {
            let at = record?.position
            if !annotations.isEmpty { problem("invalid field 'annotations' in recording rule", at: at) }
            if durations[0] != 0 { problem("invalid field 'for' in recording rule", at: at) }
            if durations[1] != 0 { problem("invalid field 'keep_firing_for' in recording rule", at: at) }
            if !LabelName.isValidMetricName(recordName) { problem("invalid recording rule name: \(recordName)", at: at) }
        }

        // promtool's order here is Go's random map order; file order is the useful one.
        for label in labels {
            if !LabelName.isValid(label.name) || label.name == Labels.metricName {
                problem("invalid label name: \(label.name)", at: label.position)
            }
        }
        for annotation in annotations where !LabelName.isValid(annotation.name) {
            problem("invalid annotation name: \(annotation.name)", at: annotation.position)
        }

        // Only alerting rules template their labels and annotations; a recording rule's labels are literal.
        if !alertName.isEmpty {
            for (kind, pairs) in [("label", labels), ("annotation", annotations)] {
                for pair in pairs {
                    do {
                        _ = try AlertTemplate(pair.value, alertName: alertName)
                    } catch {
                        problems.append(RuleProblem(
                            code: .invalidTemplate, message: "\(kind) \(quoted(pair.name)): \(error)", position: pair.position,
                            cause: error))
                    }
                }
            }
        }

        guard problems.isEmpty, let parsed else { return (nil, problems) }
        let kind: RuleSpec.Kind = alertName.isEmpty ? .recording(recordName) : .alerting(alertName)
        let spec = RuleSpec(
            kind: kind, exprText: exprText, expr: parsed, holdDuration: durations[0], keepFiringFor: durations[1],
            labels: labels.map { Label($0.name, $0.value) }, annotations: annotations.map { Label($0.name, $0.value) },
            line: position.line, column: position.column)
        return (spec, [])
    }
}

/// DurationResult is a parsed duration in milliseconds, or the message of why it does not parse.
private enum DurationResult {
    case success(Int64)
    case failure(String)
}

/// duration parses a `for`, `keep_firing_for` or `interval` value with Prometheus's duration syntax.
private func duration(_ text: Located<String>) -> DurationResult {
    do {
        return .success(try parseDuration(text.value))
    } catch {
        return .failure(error.message)
    }
}
