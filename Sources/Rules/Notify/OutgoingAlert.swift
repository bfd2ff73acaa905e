import TSDB

/// OutgoingAlert is one alert as Alertmanager's `POST /api/v2/alerts` takes it.
///
/// Times are milliseconds since the epoch. A firing alert carries `endsAt` = its `validUntil`, so Alertmanager resolves
/// it by itself if Vigil stops re-sending; a resolved alert carries `endsAt` = its `resolvedAt`, which is in the past.
public struct OutgoingAlert: Sendable, Equatable {
    public var labels: Labels
    public var annotations: Labels
    public var startsAt: Timestamp
    /// Nil leaves `endsAt` out of the JSON, so Alertmanager applies its `resolve_timeout`.
    public var endsAt: Timestamp?
    public var generatorURL: String

    public init(labels: Labels, annotations: Labels = Labels(), startsAt: Timestamp, endsAt: Timestamp?, generatorURL: String = "") {
        self.labels = labels
        self.annotations = annotations
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.generatorURL = generatorURL
    }

    /// Builds the notification for an alert instance of the rule whose expression is `expr`, as Prometheus's rule manager does.
    ///
    /// `startsAt` is when the alert fired (its `activeAt` if it never did); `endsAt` is `resolvedAt` once resolved and
    /// `validUntil` otherwise.
    public init(_ alert: AlertState, expr: String, externalURL: String) {
        self.init(
            labels: alert.labels,
            annotations: alert.annotations,
            startsAt: alert.firedAt ?? alert.activeAt,
            endsAt: alert.resolvedAt ?? alert.validUntil,
            generatorURL: Self.generatorURL(externalURL: externalURL, expr: expr)
        )
    }

    /// The link to the expression's table view in the graph UI: `externalURL/graph?g0.expr=…&g0.tab=1`.
    public static func generatorURL(externalURL: String, expr: String) -> String {
        var base = externalURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/graph?g0.expr=" + queryEscape(expr) + "&g0.tab=1"
    }

    /// Escapes a query-string value the way Go's `url.QueryEscape` does: space becomes `+`, and every byte other than
    /// ASCII letters, digits and `-_.~` becomes `%XX`.
    static func queryEscape(_ text: String) -> String {
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: " "):
                out.append(UInt8(ascii: "+"))
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Adds the external labels the alert does not already have; the alert's own labels win.
    public func addingExternalLabels(_ external: Labels) -> OutgoingAlert {
        if external.isEmpty { return self }
        var copy = self
        for label in external where labels[label.name] == nil {
            copy.labels = copy.labels.setting(label.name, to: label.value)
        }
        return copy
    }
}
