import Foundation
import Hummingbird
import Model
import Rules
import TSDB

/// `/api/v1/rules` and `/api/v1/alerts`, in Prometheus 2.42's shapes.
extension PrometheusAPI {
    func addRuleRoutes(to api: RouterGroup<BasicRequestContext>) {
        api.get("rules") { request, _ in await respond { try await rules(request) } }
        api.get("alerts") { _, _ in await respond { try await alerts() } }
    }

    func rules(_ request: Request) async throws -> Response {
        let parameters = try await APIParameters.from(request)
        let type = parameters["type"]?.lowercased() ?? ""
        guard ["", "alert", "record"].contains(type) else {
            throw APIError(.badData, "invalid parameter \"type\": not supported value \(GoQuote.quote(type))")
        }
        let groups = await ruleManager?.snapshot() ?? []
        return successResponse { json in
            json.object { json in
                json.key("groups")
                json.array { json in
                    for group in groups {
                        let rules = group.rules.filter { type.isEmpty || (type == "alert") == $0.isAlerting }
                        if !type.isEmpty && rules.isEmpty { continue }
                        json.object { json in
                            json.key("name"); json.string(group.name)
                            json.key("file"); json.string(group.file)
                            json.key("rules")
                            json.array { json in for rule in rules { Self.write(rule, into: &json) } }
                            json.key("interval"); json.raw(formatPrometheusJSONNumber(Double(group.interval) / 1000))
                            json.key("limit"); json.int(group.limit)
                            json.key("evaluationTime"); json.raw(formatPrometheusJSONNumber(group.evaluationSeconds))
                            json.key("lastEvaluation"); json.string(Self.rfc3339(group.lastEvaluation))
                        }
                    }
                }
            }
        }
    }

    func alerts() async throws -> Response {
        let groups = await ruleManager?.snapshot() ?? []
        let active = groups.flatMap { $0.rules.flatMap { $0.alertState.activeAlerts } }
        return successResponse { json in
            json.object { json in
                json.key("alerts")
                json.array { json in for alert in active { Self.write(alert, into: &json) } }
            }
        }
    }

    static func write(_ rule: RuntimeRule, into json: inout JSONWriter) {
        json.object { json in
            if rule.isAlerting { json.key("state"); json.string(rule.alertState.state.description) }
            json.key("name"); json.string(rule.name)
            json.key("query"); json.string(rule.spec.expr.description)
            if rule.isAlerting {
                json.key("duration"); json.raw(formatPrometheusJSONNumber(Double(rule.spec.holdDuration) / 1000))
                json.key("keepFiringFor"); json.raw(formatPrometheusJSONNumber(Double(rule.spec.keepFiringFor) / 1000))
            }
            json.key("labels"); json.labels(rule.spec.labels.map { ($0.name, $0.value) })
            if rule.isAlerting {
                json.key("annotations"); json.labels(rule.spec.annotations.map { ($0.name, $0.value) })
                json.key("alerts")
                json.array { json in for alert in rule.alertState.activeAlerts { write(alert, into: &json) } }
            }
            json.key("health"); json.string(rule.health.status.rawValue)
            if !rule.health.lastError.isEmpty { json.key("lastError"); json.string(rule.health.lastError) }
            json.key("evaluationTime"); json.raw(formatPrometheusJSONNumber(rule.health.evaluationSeconds))
            json.key("lastEvaluation"); json.string(rfc3339(rule.health.lastEvaluation))
            json.key("type"); json.string(rule.isAlerting ? "alerting" : "recording")
        }
    }

    static func write(_ alert: AlertState, into json: inout JSONWriter) {
        json.object { json in
            json.key("labels"); json.labels(alert.labels.map { ($0.name, $0.value) })
            json.key("annotations"); json.labels(alert.annotations.map { ($0.name, $0.value) })
            json.key("state"); json.string(alert.state.description)
            json.key("activeAt"); json.string(rfc3339(alert.activeAt))
            json.key("value"); json.string(formatGoExponent(alert.value))
        }
    }

    /// Prometheus prints the zero time for a rule never evaluated.
    static func rfc3339(_ t: Timestamp?) -> String {
        guard let t else { return "0001-01-01T00:00:00Z" }
        return RFC3339.string(Date(timeIntervalSince1970: Double(t) / 1000))
    }
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`, which alert values use: `4.5e+01`, `0e+00`.
func formatGoExponent(_ value: Double) -> String {
    if value.isNaN { return "NaN" }
    if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
    if value == 0 { return value.sign == .minus ? "-0e+00" : "0e+00" }
    // Swift's shortest round-trip digits, re-read as mantissa digits and a decimal exponent.
    let text = "\(abs(value))"
    var digits = ""
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        let mantissa = text[..<e]
        exponent = Int(text[text.index(after: e)...]) ?? 0
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        exponent += parts[0].count - 1
    } else {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
        if integer != "0" {
            digits = integer + fraction
            exponent = integer.count - 1
        } else {
            let leadingZeros = fraction.prefix { $0 == "0" }.count
            digits = String(fraction.dropFirst(leadingZeros))
            exponent = -(leadingZeros + 1)
        }
    }
    while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
    while digits.count > 1 && digits.hasPrefix("0") { digits.removeFirst() }
    let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
    let sign = exponent < 0 ? "-" : "+"
    let magnitude = abs(exponent)
    return (value < 0 ? "-" : "") + mantissa + "e" + sign + (magnitude < 10 ? "0" : "") + String(magnitude)
}
