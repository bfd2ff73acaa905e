import Foundation

/// A self-contained HTML page rendered from the OpenAPI document: operations, schemas and a form to try `/predict`.
enum DocsPage {
    static func render(_ document: [String: Any]) -> String {
        let info = document["info"] as? [String: Any] ?? [:]
        let paths = document["paths"] as? [String: Any] ?? [:]
        let schemas = (document["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        var body = ""
        body += "<header><h1>\(escape(info["title"] as? String ?? "API"))</h1>"
        body += "<p class=\"muted\">OpenAPI \(escape(document["openapi"] as? String ?? "")) · version \(escape(info["version"] as? String ?? "")) · <a href=\"/openapi.json\">openapi.json</a></p>"
        body += "<p>\(escape(info["description"] as? String ?? ""))</p></header>"
        body += "<nav><h2>Operations</h2><ul>"
        let operations = paths.keys.sorted().flatMap { path in
            ((paths[path] as? [String: Any]) ?? [:]).keys.sorted().map { (path, $0) }
        }
        for (path, method) in operations {
            body += "<li><a href=\"#\(anchor(method, path))\"><span class=\"method \(method)\">\(method.uppercased())</span> <code>\(escape(path))</code></a></li>"
        }
        body += "</ul></nav><main>"
        for (path, method) in operations {
            guard let operation = (paths[path] as? [String: Any])?[method] as? [String: Any] else { continue }
            body += "<section class=\"operation\" id=\"\(anchor(method, path))\">"
            body += "<h2><span class=\"method \(method)\">\(method.uppercased())</span> <code>\(escape(path))</code></h2>"
            body += "<p class=\"summary\">\(escape(operation["summary"] as? String ?? ""))</p>"
            if let description = operation["description"] as? String { body += "<p>\(escape(description))</p>" }
            if let requestBody = operation["requestBody"] as? [String: Any],
               let schema = ((requestBody["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any] {
                body += "<h3>Request body <small>application/json</small></h3><p>\(schemaSummary(schema))</p>"
            }
            body += "<h3>Responses</h3><table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>"
            let responses = operation["responses"] as? [String: Any] ?? [:]
            for status in responses.keys.sorted() {
                let response = responses[status] as? [String: Any] ?? [:]
                let content = response["content"] as? [String: Any] ?? [:]
                let schemaText = content.keys.sorted().map { type in
                    let schema = (content[type] as? [String: Any])?["schema"] as? [String: Any] ?? [:]
                    return "<small>\(escape(type))</small> \(schemaSummary(schema))"
                }.joined(separator: "<br>")
                body += "<tr><td class=\"status s\(status.prefix(1))\">\(escape(status))</td><td>\(escape(response["description"] as? String ?? ""))</td><td>\(schemaText)</td></tr>"
            }
            body += "</tbody></table>"
            if path == "/predict" { body += tryItForm(schemas[OpenAPIDocument.inputSchemaName] as? [String: Any] ?? [:]) }
            body += "</section>"
        }
        body += "<h2 id=\"schemas\">Schemas</h2>"
        for name in schemas.keys.sorted() {
            guard let schema = schemas[name] as? [String: Any] else { continue }
            body += "<section class=\"schema\" id=\"schema-\(escape(name))\"><h3>\(escape(name))</h3>"
            let properties = schema["properties"] as? [String: Any] ?? [:]
            let required = Set(schema["required"] as? [String] ?? [])
            let order = (schema["required"] as? [String] ?? []) + properties.keys.sorted().filter { !required.contains($0) }
            if !properties.isEmpty {
                body += "<table><thead><tr><th>Field</th><th>Type</th><th>Range</th><th>Description</th></tr></thead><tbody>"
                for key in order {
                    guard let property = properties[key] as? [String: Any] else { continue }
                    body += "<tr><td><code>\(escape(key))</code>\(required.contains(key) ? " <span class=\"req\">required</span>" : "")</td>"
                    body += "<td>\(schemaSummary(property))</td><td>\(range(property))</td><td>\(escape(property["description"] as? String ?? ""))</td></tr>"
                }
                body += "</tbody></table>"
            }
            if schema["additionalProperties"] as? Bool == false { body += "<p class=\"muted\">Unknown fields are rejected.</p>" }
            if let example = schema["example"],
               let data = try? JSONSerialization.data(withJSONObject: example, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
                body += "<p>Example:</p><pre>\(escape(String(decoding: data, as: UTF8.self)))</pre>"
            }
            body += "</section>"
        }
        body += "</main>"
        return page(title: info["title"] as? String ?? "API", body: body)
    }

    private static func tryItForm(_ inputSchema: [String: Any]) -> String {
        let example = inputSchema["example"] ?? [:]
        let data = (try? JSONSerialization.data(withJSONObject: example, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return """
        <h3>Try it</h3>
        <form id="try" method="post" action="/predict">
        <textarea id="try-body" rows="11" spellcheck="false" aria-label="Request body">\(escape(String(decoding: data, as: UTF8.self)))</textarea>
        <button type="submit">POST /predict</button>
        </form>
        <pre id="try-result" aria-live="polite"></pre>
        <script src="/docs/try.js"></script>
        """
    }

    /// The "Try it" form's script, served as `/docs/try.js` so the page needs no inline script under its CSP.
    static let tryScript = """
        document.getElementById('try').addEventListener('submit', async (event) => {
          event.preventDefault();
          const out = document.getElementById('try-result');
          try {
            const response = await fetch('/predict', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                      body: document.getElementById('try-body').value});
            out.textContent = response.status + ' ' + response.statusText + '\\n' + JSON.stringify(await response.json(), null, 2);
          } catch (error) { out.textContent = String(error); }
        });
        """

    static func schemaSummary(_ schema: [String: Any]) -> String {
        if let reference = schema["$ref"] as? String {
            let name = reference.split(separator: "/").last.map(String.init) ?? reference
            return "<a href=\"#schema-\(escape(name))\">\(escape(name))</a>"
        }
        if let type = schema["type"] as? String {
            if type == "array", let items = schema["items"] as? [String: Any] {
                var text = "array of \(schemaSummary(items))"
                if let maxItems = schema["maxItems"] { text += " (at most \(maxItems))" }
                return text
            }
            if let values = schema["enum"] as? [Any] { return "\(escape(type)): " + values.map { escape("\($0)") }.joined(separator: " | ") }
            return escape(type)
        }
        if let types = schema["type"] as? [String] { return escape(types.joined(separator: " | ")) }
        return "any"
    }

    private static func range(_ property: [String: Any]) -> String {
        let low = (property["minimum"] as? Double).map(JSONText.number)
        let high = (property["maximum"] as? Double).map(JSONText.number)
        switch (low, high) {
        case (let low?, let high?): return "\(low) – \(high)"
        case (let low?, nil): return "≥ \(low)"
        case (nil, let high?): return "≤ \(high)"
        case (nil, nil): return ""
        }
    }

    private static func anchor(_ method: String, _ path: String) -> String {
        method + "-" + path.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title)) · docs</title>
        <style>
        :root { color-scheme: light dark; --bg: #fbfbfd; --fg: #1d1d24; --muted: #667; --line: #dde; --card: #fff; --code: #f2f2f7; --accent: #3857d6; }
        @media (prefers-color-scheme: dark) { :root { --bg: #15161b; --fg: #e6e6ee; --muted: #99a; --line: #2c2e38; --card: #1c1d24; --code: #262833; --accent: #8ea2ff; } }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 60rem; padding: 1.5rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: var(--fg); }
        a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
        h1 { margin: 0 0 .25rem; font-size: 1.7rem; } h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; } h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
        .muted, small { color: var(--muted); }
        code, pre, textarea { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
        pre { background: var(--code); padding: .75rem; border-radius: 6px; overflow-x: auto; }
        nav ul { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); gap: .25rem .75rem; }
        section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .25rem 1rem 1rem; margin: 1rem 0; }
        .method { display: inline-block; min-width: 3.6rem; text-align: center; border-radius: 4px; padding: 0 .4rem; font-size: .8rem; font-weight: 700; color: #fff; }
        .method.get { background: #2f8f5b; } .method.post { background: #3857d6; }
        table { width: 100%; border-collapse: collapse; font-size: .92rem; } th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        .status { font-weight: 700; } .s2 { color: #2f8f5b; } .s4 { color: #b7791f; } .s5 { color: #c53030; }
        .req { font-size: .75rem; color: #c53030; }
        textarea { width: 100%; background: var(--code); color: var(--fg); border: 1px solid var(--line); border-radius: 6px; padding: .5rem; }
        button { margin-top: .5rem; padding: .45rem 1rem; border: 0; border-radius: 6px; background: var(--accent); color: #fff; font-weight: 600; cursor: pointer; }
        @media (max-width: 40rem) { body { padding: .75rem; } td:nth-child(4), th:nth-child(4) { display: none; } }
        </style></head>
        <body>\(body)</body></html>
        """
    }
}
