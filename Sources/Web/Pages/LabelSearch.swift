import Foundation
import TSDB

/// LabelSearch is the search box of `/alerts`, `/rules` and `/flags`: every word typed must appear, ignoring case,
/// in a rule's name and labels (or, for an alert, in its rule's text plus its own labels).
///
/// The server applies it for `?search=`, so the filter works without JavaScript; `LabelSearch.script` applies the
/// same rule in the browser as the user types, reading the `data-search` text the server wrote on each element.
public struct LabelSearch: Sendable, Equatable {
    /// The words to find, lower-cased; no words means everything matches.
    public let terms: [String]
    /// The search as typed, for the box's value and for links that keep it.
    public let text: String

    public init(_ text: String?) {
        self.text = text ?? ""
        self.terms = self.text.lowercased().split(whereSeparator: \.isWhitespace).map(String.init)
    }

    public var isEmpty: Bool { terms.isEmpty }

    /// Whether every word occurs in `text` (already lower-cased by `searchText`).
    public func matches(_ text: String) -> Bool { terms.allSatisfy { text.contains($0) } }

    /// The lower-cased text a search looks through: the words given and each label both as `name="value"` and
    /// `name=value`, so pasting a matcher finds it.
    public static func searchText(_ words: [String], labels: Labels = Labels()) -> String {
        var parts = words
        for label in labels {
            parts.append("\(label.name)=\"\(label.value)\"")
            parts.append("\(label.name)=\(label.value)")
        }
        return parts.joined(separator: " ").lowercased()
    }

    /// The search form: a GET form, so Enter submits `?search=` without JavaScript; `hidden` carries the page's other
    /// query parameters.
    static func form(action: String, search: LabelSearch, placeholder: String, hidden: [(String, String)] = []) -> String {
        var html = "<form class=\"search\" method=\"get\" action=\"\(HTML.escape(action))\" role=\"search\">"
        html += "<input type=\"search\" name=\"search\" value=\"\(HTML.escape(search.text))\" placeholder=\"\(HTML.escape(placeholder))\""
        html += " aria-label=\"\(HTML.escape(placeholder))\" autocomplete=\"off\" data-filter-input>"
        for (name, value) in hidden {
            html += "<input type=\"hidden\" name=\"\(HTML.escape(name))\" value=\"\(HTML.escape(value))\">"
        }
        return html + "<button type=\"submit\">Filter</button></form>\n"
    }

    /// Where the script is served; same-origin, since the Content-Security-Policy forbids inline scripts.
    public static let scriptPath = "/static/search.js"

    /// Filters `[data-filter-group]` › `[data-filter-item]` › `[data-filter-row]` elements as the box changes, with
    /// the same rule as `matches`, and keeps `?search=` in the address so a reload or the meta refresh keeps it.
    public static let script = """
        (function () {
          "use strict";
          var input = document.querySelector("[data-filter-input]");
          if (!input) { return; }
          function terms() { return input.value.toLowerCase().split(/\\s+/).filter(function (t) { return t.length > 0; }); }
          function matches(text, words) { return words.every(function (w) { return text.indexOf(w) >= 0; }); }
          function apply() {
            var words = terms(), shown = 0;
            document.querySelectorAll("[data-filter-group]").forEach(function (group) {
              var groupShown = 0;
              group.querySelectorAll("[data-filter-item]").forEach(function (item) {
                var text = item.getAttribute("data-search") || "";
                var itemMatch = matches(text, words), rowsShown = 0;
                item.querySelectorAll("[data-filter-row]").forEach(function (row) {
                  var visible = itemMatch || matches(text + " " + (row.getAttribute("data-search") || ""), words);
                  row.hidden = !visible;
                  if (visible) { rowsShown++; }
                });
                var visible = itemMatch || rowsShown > 0;
                item.hidden = !visible;
                if (visible) { groupShown++; }
              });
              group.hidden = groupShown === 0;
              shown += groupShown;
            });
            var empty = document.querySelector("[data-filter-empty]");
            if (empty) { empty.hidden = shown > 0 || words.length === 0; }
            var url = new URL(window.location.href);
            if (input.value.trim() === "") { url.searchParams.delete("search"); } else { url.searchParams.set("search", input.value); }
            window.history.replaceState(null, "", url.pathname + url.search + url.hash);
            document.querySelectorAll("a[data-keep-search]").forEach(function (link) {
              var target = new URL(link.getAttribute("href"), window.location.href);
              if (input.value.trim() === "") { target.searchParams.delete("search"); } else { target.searchParams.set("search", input.value); }
              link.setAttribute("href", target.pathname + target.search);
            });
          }
          input.addEventListener("input", apply);
          apply();
        })();
        """
}
