/// GraphScript is `/static/graph.js`: the expression browser's keyboard and completion behaviour and its graphs.
///
/// The page works without it (see `GraphPage`); with it, Enter runs the query, names complete from the label
/// APIs (`/api/v1/label/__name__/values`, `/api/v1/labels`, `/api/v1/label/<name>/values`), the range and stacked
/// controls apply at once, and dragging across a graph zooms by rewriting `g<N>.range_input` and `g<N>.end_input`.
enum GraphScript {
    static let source = #"""
(function () {
  'use strict';
  var VC = window.VigilCharts;
  var FUNCTIONS = ['abs', 'absent', 'absent_over_time', 'avg_over_time', 'ceil', 'changes', 'clamp', 'clamp_max', 'clamp_min',
    'count_over_time', 'day_of_month', 'day_of_week', 'days_in_month', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile',
    'holt_winters', 'hour', 'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2',
    'max_over_time', 'min_over_time', 'minute', 'month', 'predict_linear', 'present_over_time', 'quantile_over_time', 'rate',
    'resets', 'round', 'scalar', 'sgn', 'sort', 'sort_desc', 'sqrt', 'stddev_over_time', 'stdvar_over_time', 'sum_over_time',
    'time', 'timestamp', 'vector', 'year'];
  var AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'count_values', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile'];

  var cache = {};
  function cached(url) {
    if (!cache[url]) cache[url] = VC.getJSON(url).catch(function () { delete cache[url]; return []; });
    return cache[url];
  }
  function matchParam(metric) { return metric ? '?match[]=' + encodeURIComponent(metric) : ''; }

  // context reads what is being typed at the caret: a metric or function name, a label name, or a label value.
  function context(before) {
    var open = before.lastIndexOf('{'), close = before.lastIndexOf('}');
    if (open > close) {
      var metric = (before.slice(0, open).match(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/) || [])[1] || '';
      var inside = before.slice(open + 1);
      var value = inside.match(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)$/);
      if (value) return { kind: 'value', label: value[1], metric: metric, prefix: value[3] };
      var name = inside.match(/(?:^|,)\s*([a-zA-Z_][a-zA-Z0-9_]*)?$/);
      if (name) return { kind: 'label', metric: metric, prefix: name[1] || '' };
      return null;
    }
    var grouping = before.match(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)$/);
    if (grouping) {
      var metricBefore = (before.match(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/) || [])[1] || '';
      return { kind: 'label', metric: metricBefore, prefix: (grouping[2].match(/([a-zA-Z_][a-zA-Z0-9_]*)$/) || [])[1] || '' };
    }
    if (/\[[^\]]*$/.test(before) || /"[^"]*$/.test(before.replace(/"(?:[^"\\]|\\.)*"/g, ''))) return null;
    var word = before.match(/([a-zA-Z_:][a-zA-Z0-9_:]*)$/);
    return word ? { kind: 'metric', prefix: word[1] } : null;
  }

  function candidates(ctx) {
    if (ctx.kind === 'metric') {
      return cached('/api/v1/label/__name__/values').then(function (names) {
        return names.map(function (n) { return [n, 'metric']; })
          .concat(AGGREGATIONS.map(function (n) { return [n, 'aggregation']; }), FUNCTIONS.map(function (n) { return [n, 'function']; }));
      });
    }
    if (ctx.kind === 'label') {
      return cached('/api/v1/labels' + matchParam(ctx.metric)).then(function (names) {
        return names.filter(function (n) { return n !== '__name__'; }).map(function (n) { return [n, 'label']; });
      });
    }
    return cached('/api/v1/label/' + encodeURIComponent(ctx.label) + '/values' + matchParam(ctx.metric)).then(function (values) {
      return values.map(function (v) { return [v, 'value']; });
    });
  }

  // rank keeps names that start with the prefix first, then names that contain it, at most 12.
  function rank(items, prefix) {
    var p = prefix.toLowerCase(), starts = [], contains = [];
    items.forEach(function (it) {
      var n = it[0].toLowerCase();
      if (n === p) return;
      if (n.indexOf(p) === 0) starts.push(it); else if (p && n.indexOf(p) > 0) contains.push(it);
    });
    return starts.concat(contains).slice(0, 12);
  }

  function initCompletion(input) {
    var list = document.getElementById(input.getAttribute('aria-controls'));
    var items = [], active = -1, ctx = null, generation = 0;
    function close() {
      list.hidden = true; list.textContent = ''; items = []; active = -1;
      input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant');
    }
    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, k) { li.setAttribute('aria-selected', k === i ? 'true' : 'false'); });
      if (i >= 0) { input.setAttribute('aria-activedescendant', list.children[i].id); list.children[i].scrollIntoView({ block: 'nearest' }); }
    }
    function accept(i) {
      var item = items[i], caret = input.selectionStart, before = input.value.slice(0, caret), after = input.value.slice(caret);
      var text = item[0];
      if (item[1] === 'function' || item[1] === 'aggregation') { if (after[0] !== '(') text += '('; }
      if (item[1] === 'value') {
        text = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
        if (after[0] !== '"') text += '"';
      }
      var start = caret - ctx.prefix.length;
      input.value = before.slice(0, start) + text + after;
      var pos = start + text.length;
      input.setSelectionRange(pos, pos);
      close();
      input.dispatchEvent(new Event('completed'));
    }
    function update() {
      var caret = input.selectionStart;
      if (caret !== input.selectionEnd) { close(); return; }
      var mine = ++generation, c = context(input.value.slice(0, caret));
      if (!c || (c.kind === 'metric' && !c.prefix)) { close(); return; }
      candidates(c).then(function (all) {
        if (mine !== generation) return;
        ctx = c; items = rank(all, c.prefix);
        list.textContent = '';
        if (!items.length) { close(); return; }
        items.forEach(function (it, k) {
          var li = document.createElement('li');
          li.id = list.id + '-' + k; li.setAttribute('role', 'option');
          var name = document.createElement('span'); name.textContent = it[0]; li.appendChild(name);
          var kind = document.createElement('span'); kind.className = 'kind'; kind.textContent = it[1]; li.appendChild(kind);
          li.addEventListener('mousedown', function (ev) { ev.preventDefault(); accept(k); });
          list.appendChild(li);
        });
        list.hidden = false; input.setAttribute('aria-expanded', 'true');
        highlight(0);
      });
    }
    input.addEventListener('input', update);
    input.addEventListener('blur', function () { generation++; close(); });
    input.addEventListener('keydown', function (ev) {
      var open = !list.hidden && items.length;
      if (open && (ev.key === 'ArrowDown' || ev.key === 'ArrowUp')) {
        ev.preventDefault();
        highlight((active + (ev.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
      } else if (open && (ev.key === 'Tab' || ev.key === 'Enter') && active >= 0 && !ev.shiftKey) {
        ev.preventDefault(); accept(active);
      } else if (open && ev.key === 'Escape') {
        ev.preventDefault(); generation++; close();
      } else if (ev.key === ' ' && ev.ctrlKey) {
        ev.preventDefault(); update();
      } else if (ev.key === 'Enter' && !ev.shiftKey) {
        // Enter runs the query, as in Prometheus; Shift+Enter adds a line.
        ev.preventDefault(); input.form.submit();
      }
    });
  }

  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  // A span of seconds as a Prometheus duration, such as 1h30m.
  function duration(seconds) {
    var out = '', units = [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
    units.forEach(function (u) { var n = Math.floor(seconds / u[1]); if (n > 0) { out += n + u[0]; seconds -= n * u[1]; } });
    return out || '1s';
  }
  function utcTime(t) {
    var d = new Date(t * 1000);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' +
      pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }

  function initGraph(root, index) {
    var expr = root.getAttribute('data-expr'), start = parseFloat(root.getAttribute('data-start'));
    var end = parseFloat(root.getAttribute('data-end')), step = parseFloat(root.getAttribute('data-step'));
    var stacked = root.getAttribute('data-stacked') === '1';
    var chart = root.querySelector('.graph-chart'), legend = root.querySelector('.graph-legend');
    function onZoom(from, to) {
      var changes = {};
      changes['g' + index + '.range_input'] = duration(to - from);
      changes['g' + index + '.end_input'] = utcTime(to);
      changes['g' + index + '.step_input'] = null;
      location.assign(VC.withParams(changes));
    }
    var drawn = null;
    function draw() {
      VC.drawChart(chart, drawn, { start: start, end: end, step: step, unit: 'none', stacked: stacked, utc: true, onZoom: onZoom });
    }
    VC.rangeQuery(expr, start, end, step).then(function (data) {
      if (data.resultType !== 'matrix') throw new Error('expected a range vector, got ' + data.resultType);
      drawn = VC.toSeries(data.result, null, 0);
      VC.drawLegend(legend, drawn, 'none');
      draw();
      root.setAttribute('data-loaded', String(drawn.length));
    }, function (err) { VC.showError(chart, err.message); root.setAttribute('data-loaded', 'error'); });
    // A resize redraws the series already fetched: no second query, and no late answer drawn over a newer one.
    var timer = null;
    window.addEventListener('resize', function () { clearTimeout(timer); timer = setTimeout(function () { if (drawn) draw(); }, 250); });
  }

  var form = document.getElementById('graph-form');
  if (!form) return;
  Array.prototype.forEach.call(document.querySelectorAll('.expr-input'), initCompletion);
  Array.prototype.forEach.call(document.querySelectorAll('.graph-panel'), function (panel) {
    var graph = panel.querySelector('.graph[data-expr]');
    if (graph) initGraph(graph, panel.getAttribute('data-index'));
  });
  // Range and stacked apply at once; typed fields wait for Enter or Execute.
  form.addEventListener('change', function (ev) {
    if (ev.target.matches('select, input[type=checkbox]')) form.submit();
  });
  // Adding a panel keeps what was typed in the others.
  var add = document.getElementById('add-panel');
  if (add) add.addEventListener('click', function (ev) {
    ev.preventDefault();
    var search = new URLSearchParams(new FormData(form)), n = document.querySelectorAll('.graph-panel').length;
    search.set('g' + n + '.expr', ''); search.set('g' + n + '.tab', '1');
    location.assign('/graph?' + search.toString());
  });
})();
"""#
}
