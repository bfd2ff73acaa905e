/// ChartScript is the JavaScript that the dashboards and `/graph` share, served as `/static/charts.js`.
///
/// It is our own small SVG line-chart renderer and query client, with no library and no network
/// access beyond Vigil's `/api/v1/query` and `/api/v1/query_range`.
enum ChartScript {
    static let source = #"""
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#3274d9', '#e0752d', '#37872d', '#c4162a', '#8f3bb8', '#1f9a9a', '#c79a00', '#d44a7a', '#6e7f00', '#5a6ee0'];
  var NAMED = { green: '#2f9e44', red: '#d9363e', orange: '#f08c00', yellow: '#e6b400', blue: '#3274d9', purple: '#8f3bb8',
    'dark-green': '#1f7a33', 'dark-red': '#a61e22', 'semi-dark-green': '#2b8a3e', 'semi-dark-red': '#c92a2a', text: '' };

  function color(name) { return NAMED[name] !== undefined ? NAMED[name] : (name || ''); }

  function node(tag, attrs, parent, svg) {
    var e = svg ? document.createElementNS(SVG, tag) : document.createElement(tag);
    for (var k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    if (parent) parent.appendChild(e);
    return e;
  }
  function s(tag, attrs, parent) { return node(tag, attrs, parent, true); }

  // Numbers: a compact form with SI suffixes for big values and enough digits for small ones.
  function num(v) {
    if (v === null || isNaN(v)) return 'NaN';
    if (!isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
    var a = Math.abs(v);
    if (a >= 1e9) return trim(v / 1e9, 2) + 'G';
    if (a >= 1e6) return trim(v / 1e6, 2) + 'M';
    if (a >= 1e4) return trim(v / 1e3, 1) + 'k';
    if (a >= 100) return trim(v, 0);
    if (a >= 10) return trim(v, 1);
    if (a >= 1) return trim(v, 2);
    if (a === 0) return '0';
    return trim(v, Math.min(6, 2 - Math.floor(Math.log10(a))));
  }
  function trim(v, digits) { return String(parseFloat(v.toFixed(digits))); }

  function seconds(v) {
    var a = Math.abs(v);
    if (a === 0) return '0 s';
    if (a < 1e-3) return trim(v * 1e6, 1) + ' µs';
    if (a < 1) return trim(v * 1e3, a < 0.01 ? 2 : 1) + ' ms';
    if (a < 60) return trim(v, 2) + ' s';
    if (a < 3600) return trim(v / 60, 1) + ' min';
    return trim(v / 3600, 1) + ' h';
  }

  // formatValue renders a value in a Grafana unit: "s", "reqpm", "reqps", "percent", "suffix:…" or plain.
  function formatValue(v, unit) {
    if (v === null || v === undefined || isNaN(v)) return 'NaN';
    if (!isFinite(v)) return num(v);
    unit = unit || 'none';
    if (unit === 's') return seconds(v);
    if (unit === 'ms') return seconds(v / 1000);
    if (unit === 'reqpm') return num(v) + ' req/min';
    if (unit === 'reqps') return num(v) + ' req/s';
    if (unit === 'percent') return num(v) + '%';
    if (unit === 'percentunit') return num(v * 100) + '%';
    if (unit.indexOf('suffix:') === 0) return num(v) + unit.slice(7);
    return num(v);
  }

  function niceStep(span, count) {
    var raw = span / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log10(raw))), n = raw / mag;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
  }
  var TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000];
  function niceTimeStep(span, count) {
    for (var i = 0; i < TIME_STEPS.length; i++) if (span / TIME_STEPS[i] <= count) return TIME_STEPS[i];
    return TIME_STEPS[TIME_STEPS.length - 1];
  }
  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  // Times are UTC on /graph (as its URL parameters) and local on dashboards (as Grafana), chosen by `utc`.
  function parts(t, utc) {
    var d = new Date(t * 1000);
    return utc ? [d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
      : [d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  }
  function clock(t, utc) { var p = parts(t, utc); return pad(p[2]) + ':' + pad(p[3]); }
  function stamp(t, utc) { var p = parts(t, utc); return pad(p[0]) + '-' + pad(p[1]) + ' ' + clock(t, utc) + ':' + pad(p[4]); }

  // timeTicks picks tick times and labels that never repeat: seconds when ticks are under a minute apart, the
  // date when the range spans a day or more (a day's ticks alone would repeat their hours).
  function timeTicks(t0, t1, count, utc) {
    var step = niceTimeStep(t1 - t0, count), ticks = [];
    var offset = utc || step < 3600 ? 0 : -new Date(t0 * 1000).getTimezoneOffset() * 60;
    var first = Math.ceil((t0 + offset) / step) * step - offset;
    var days = t1 - t0 >= 86400;
    for (var t = first; t <= t1; t += step) {
      var p = parts(t, utc), label;
      if (step >= 86400) label = pad(p[0]) + '-' + pad(p[1]);
      else if (days) label = pad(p[0]) + '-' + pad(p[1]) + ' ' + pad(p[2]) + ':' + pad(p[3]);
      else if (step < 60) label = clock(t, utc) + ':' + pad(p[4]);
      else label = clock(t, utc);
      ticks.push([t, label]);
    }
    return ticks;
  }

  // axisScale picks one divisor and suffix for every tick of an axis from the largest, in the panel's unit.
  function axisScale(maxAbs, unit) {
    unit = unit || 'none';
    if (unit === 'ms') return axisScale(maxAbs / 1000, 's').map(function (x, i) { return i === 0 ? x * 1000 : x; });
    if (unit === 's') {
      if (maxAbs === 0 || maxAbs >= 1 && maxAbs < 60) return [1, ' s'];
      if (maxAbs < 1e-3) return [1e-6, ' µs'];
      if (maxAbs < 1) return [1e-3, ' ms'];
      return maxAbs < 3600 ? [60, ' min'] : [3600, ' h'];
    }
    if (unit === 'percentunit') return [0.01, '%'];
    var suffix = unit === 'percent' ? '%' : unit === 'reqpm' ? ' req/min' : unit === 'reqps' ? ' req/s' : unit.indexOf('suffix:') === 0 ? unit.slice(7) : '';
    if (maxAbs >= 1e9) return [1e9, 'G' + suffix, suffix];
    if (maxAbs >= 1e6) return [1e6, 'M' + suffix, suffix];
    if (maxAbs >= 1e4) return [1e3, 'k' + suffix, suffix];
    return [1, suffix, suffix];
  }
  // decimalsFor is the fewest decimals that write every multiple of `step` exactly, so ticks never repeat.
  function decimalsFor(step) {
    for (var d = 0; d < 12; d++) { var x = step * Math.pow(10, d); if (Math.abs(x - Math.round(x)) < 1e-6 * Math.max(1, x)) return d; }
    return 12;
  }
  function axisLabels(values, step, unit) {
    var maxAbs = values.reduce(function (m, v) { return Math.max(m, Math.abs(v)); }, 0);
    var scale = axisScale(maxAbs, unit), d = decimalsFor(step / scale[0]);
    // Zero needs no SI prefix: "0 req/min", not "0k req/min".
    return values.map(function (v) {
      var x = v / scale[0];
      return Math.abs(x) < 1e-12 ? (0).toFixed(d) + (scale[2] !== undefined ? scale[2] : scale[1]) : x.toFixed(d) + scale[1];
    });
  }

  // seriesName applies a Grafana legend format ("{{endpoint}}") or prints the series like Prometheus.
  function seriesName(metric, legendFormat) {
    if (legendFormat && legendFormat !== '__auto') {
      return legendFormat.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, function (_, k) { return metric[k] || ''; });
    }
    var name = metric.__name__ || '', parts = [];
    Object.keys(metric).sort().forEach(function (k) { if (k !== '__name__') parts.push(k + '="' + metric[k] + '"'); });
    return parts.length || !name ? name + '{' + parts.join(', ') + '}' : name;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
      return r.json().then(function (body) {
        if (body.status !== 'success') throw new Error(body.error || ('HTTP ' + r.status));
        return body.data;
      });
    });
  }
  function instantQuery(expr) { return getJSON('/api/v1/query?query=' + encodeURIComponent(expr)); }
  function rangeQuery(expr, start, end, step) {
    return getJSON('/api/v1/query_range?query=' + encodeURIComponent(expr) + '&start=' + start + '&end=' + end + '&step=' + step);
  }

  // toSeries turns a matrix into chart series: [{name, color, points: [[t, v]]}], NaN kept as gaps.
  function toSeries(result, legendFormat, offset) {
    return result.map(function (r, i) {
      return { name: seriesName(r.metric, legendFormat), color: PALETTE[(i + (offset || 0)) % PALETTE.length],
        points: r.values.map(function (p) { return [p[0], parseFloat(p[1])]; }) };
    });
  }

  // stackSeries adds each series onto the ones before it at equal timestamps; `base` keeps the lower edge.
  function stackSeries(series) {
    var sums = {};
    return series.map(function (ser) {
      var points = ser.points.map(function (p) {
        var below = sums[p[0]] || 0, v = isFinite(p[1]) ? p[1] : 0;
        sums[p[0]] = below + v;
        return [p[0], below + v, below, p[1]];
      });
      return { name: ser.name, color: ser.color, points: points, stacked: true };
    });
  }

  // drawChart draws series as SVG lines into `box`, with grid, axes, a hover readout and gaps over missing steps.
  // Options: start/end/step (s), unit, min, stacked, utc, bands ([{from, to, name}] shaded, such as firing alerts),
  // and onZoom(from, to), called when the user drags across the chart.
  function drawChart(box, input, opts) {
    box.textContent = '';
    var series = opts.stacked ? stackSeries(input) : input;
    var width = Math.max(240, box.clientWidth), height = Math.max(120, box.clientHeight || opts.height || 240);
    var right = 12, top = 10, bottom = 26, h = height - top - bottom;
    var svg = s('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, class: 'chart-svg', role: 'img' }, box);
    var lo = Infinity, hi = -Infinity;
    series.forEach(function (ser) { ser.points.forEach(function (p) { if (isFinite(p[1])) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); } }); });
    if (lo === Infinity) { lo = 0; hi = 1; }
    if (opts.stacked) lo = Math.min(lo, 0);
    if (opts.min !== undefined && opts.min !== null) lo = Math.min(lo, opts.min);
    if (hi === lo) { hi = lo === 0 ? 1 : hi + Math.abs(hi) * 0.1; }
    var ystep = niceStep(hi - lo, Math.max(2, Math.floor(h / 45)));
    lo = Math.floor(lo / ystep) * ystep; hi = Math.ceil(hi / ystep) * ystep;
    // The y labels decide the left margin, so long units such as "300 pred/min" are never clipped.
    var yvalues = [];
    for (var i = 0; lo + i * ystep <= hi + ystep / 2; i++) yvalues.push(lo + i * ystep);
    var ylabels = axisLabels(yvalues, ystep, opts.unit);
    var left = 14 + 6.2 * ylabels.reduce(function (m, l) { return Math.max(m, l.length); }, 2), w = width - left - right;
    var t0 = opts.start, t1 = opts.end;
    function x(t) { return left + (t - t0) / (t1 - t0) * w; }
    function y(v) { return top + h - (v - lo) / (hi - lo) * h; }
    var grid = s('g', { class: 'grid' }, svg);
    yvalues.forEach(function (v, i) {
      s('line', { x1: left, x2: left + w, y1: y(v), y2: y(v) }, grid);
      s('text', { x: left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick', text: ylabels[i] }, svg);
    });
    timeTicks(t0, t1, Math.max(2, Math.floor(w / 90)), opts.utc).forEach(function (tk) {
      s('line', { x1: x(tk[0]), x2: x(tk[0]), y1: top, y2: top + h }, grid);
      s('text', { x: x(tk[0]), y: height - 8, 'text-anchor': 'middle', class: 'tick', text: tk[1] }, svg);
    });
    (opts.bands || []).forEach(function (band) {
      var a = Math.max(t0, band.from), b = Math.min(t1, band.to);
      if (b < a) return;
      var rect = s('rect', { x: x(a), y: top, width: Math.max(2, x(b) - x(a)), height: h, class: 'alert-band', 'data-alert': band.name }, svg);
      s('title', { text: band.name + ' firing ' + stamp(band.from, opts.utc) + ' – ' + stamp(band.to, opts.utc) }, rect);
      s('line', { x1: x(a), x2: x(a), y1: top, y2: top + h, class: 'alert-edge' }, svg);
    });
    var gap = (opts.step || 15) * 1.5;
    series.forEach(function (ser) {
      var d = '', area = '', prev = null, run = [];
      function closeArea() {
        if (run.length) {
          area += 'M' + run.map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1); }).join('L');
          area += 'L' + run.slice().reverse().map(function (p) { return x(p[0]).toFixed(1) + ',' + y(p[2]).toFixed(1); }).join('L') + 'Z';
        }
        run = [];
      }
      ser.points.forEach(function (p) {
        if (!isFinite(p[1])) { prev = null; closeArea(); return; }
        var jump = prev === null || p[0] - prev > gap;
        if (jump) closeArea();
        d += (jump ? 'M' : 'L') + x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1);
        if (ser.stacked) run.push(p);
        prev = p[0];
      });
      closeArea();
      if (area) s('path', { d: area, class: 'area', fill: ser.color }, svg);
      if (d) s('path', { d: d, class: 'line', stroke: ser.color, 'data-series': ser.name }, svg);
    });
    if (!series.length) s('text', { x: left + w / 2, y: top + h / 2, 'text-anchor': 'middle', class: 'nodata', text: 'No data' }, svg);
    // Hover: a vertical rule and a readout of every series at the nearest step.
    var rule = s('line', { y1: top, y2: top + h, class: 'rule', visibility: 'hidden' }, svg);
    var zoom = s('rect', { y: top, height: h, width: 0, class: 'zoom-box', visibility: 'hidden' }, svg);
    var tip = node('div', { class: 'chart-tip', hidden: '' }, box);
    var overlay = s('rect', { x: left, y: top, width: w, height: h, fill: 'transparent', class: 'overlay' }, svg);
    var dragFrom = null;
    // Measured on the overlay itself, so a scaled or letterboxed SVG still maps the pointer to the right time.
    function timeAt(ev) {
      var rect = overlay.getBoundingClientRect();
      return t0 + (ev.clientX - rect.left) / (rect.width || 1) * (t1 - t0);
    }
    overlay.addEventListener('mousemove', function (ev) {
      var t = timeAt(ev);
      if (dragFrom !== null) {
        var a = Math.max(t0, Math.min(dragFrom, t)), b = Math.min(t1, Math.max(dragFrom, t));
        zoom.setAttribute('x', x(a)); zoom.setAttribute('width', Math.max(0, x(b) - x(a))); zoom.setAttribute('visibility', 'visible');
      }
      var rows = [], at = null;
      series.forEach(function (ser) {
        var best = null;
        ser.points.forEach(function (p) { if (best === null || Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p; });
        if (best && Math.abs(best[0] - t) <= gap) { rows.push([ser, ser.stacked ? best[3] : best[1]]); at = best[0]; }
      });
      if (at === null) { rule.setAttribute('visibility', 'hidden'); tip.hidden = true; return; }
      rule.setAttribute('x1', x(at)); rule.setAttribute('x2', x(at)); rule.setAttribute('visibility', 'visible');
      if (!opts.stacked) rows.sort(function (a, b) { return (b[1] || 0) - (a[1] || 0); });
      tip.textContent = '';
      node('div', { class: 'tip-time', text: stamp(at, opts.utc) }, tip);
      rows.slice(0, 12).forEach(function (r) {
        var row = node('div', {}, tip);
        node('span', { class: 'swatch', style: 'background:' + r[0].color }, row);
        node('span', { text: r[0].name + ': ' }, row);
        node('b', { text: formatValue(r[1], opts.unit) }, row);
      });
      tip.hidden = false;
      var rect = svg.getBoundingClientRect(), px = ev.clientX - rect.left + 14;
      tip.style.left = (px + tip.offsetWidth > width ? px - tip.offsetWidth - 28 : px) + 'px';
      tip.style.top = (ev.clientY - rect.top + 10) + 'px';
    });
    overlay.addEventListener('mouseleave', function () { rule.setAttribute('visibility', 'hidden'); tip.hidden = true; });
    if (opts.onZoom) {
      overlay.style.cursor = 'crosshair';
      overlay.addEventListener('mousedown', function (ev) { if (ev.button === 0) { dragFrom = timeAt(ev); ev.preventDefault(); } });
      // One window listener per chart box: a redraw replaces the previous chart's listener instead of adding another.
      if (box.vigilMouseUp) window.removeEventListener('mouseup', box.vigilMouseUp);
      box.vigilMouseUp = function (ev) {
        if (dragFrom === null) return;
        var a = Math.max(t0, Math.min(dragFrom, timeAt(ev))), b = Math.min(t1, Math.max(dragFrom, timeAt(ev)));
        dragFrom = null; zoom.setAttribute('visibility', 'hidden');
        // A click is not a zoom: at least 4 px and a second.
        if (x(b) - x(a) >= 4 && b - a >= 1) opts.onZoom(Math.floor(a), Math.ceil(b));
      };
      window.addEventListener('mouseup', box.vigilMouseUp);
    }
  }

  // drawLegend lists each series with its colour, last and max value.
  function drawLegend(box, series, unit) {
    box.textContent = '';
    if (!series.length) return;
    var table = node('table', { class: 'legend' }, box);
    var head = node('tr', {}, node('thead', {}, table));
    node('th', { text: 'Series' }, head); node('th', { class: 'num', text: 'Last' }, head); node('th', { class: 'num', text: 'Max' }, head);
    var body = node('tbody', {}, table);
    series.forEach(function (ser) {
      var finite = ser.points.filter(function (p) { return isFinite(p[1]); });
      var last = finite.length ? finite[finite.length - 1][1] : NaN;
      var max = finite.reduce(function (m, p) { return Math.max(m, p[1]); }, -Infinity);
      var tr = node('tr', {}, body), td = node('td', {}, tr);
      node('span', { class: 'swatch', style: 'background:' + ser.color }, td);
      node('span', { text: ser.name || '{}' }, td);
      node('td', { class: 'num', text: formatValue(last, unit) }, tr);
      node('td', { class: 'num', text: finite.length ? formatValue(max, unit) : 'NaN' }, tr);
    });
  }

  function showError(box, message) { box.textContent = ''; node('div', { class: 'error panel-error', text: message }, box); }

  function thresholdColor(value, thresholds) {
    var c = '';
    ((thresholds && thresholds.steps) || []).forEach(function (st) { if (st.value === null || st.value === undefined || value >= st.value) c = st.color; });
    return color(c);
  }
  function mapped(value, mappings) {
    var hit = null;
    (mappings || []).forEach(function (m) {
      var key = String(value), opt = m.options && m.options[key];
      if (!hit && opt) hit = opt;
    });
    return hit;
  }

  function drawStat(panel, body, data) {
    body.textContent = '';
    var result = data.resultType === 'scalar' ? [{ metric: {}, value: data.result }] : data.result;
    if (!result.length) { node('div', { class: 'stat-value nodata', text: 'No data' }, body); return; }
    var v = parseFloat(result[0].value[1]), d = panel.fieldConfig && panel.fieldConfig.defaults || {};
    var hit = mapped(v, d.mappings);
    var text = hit && hit.text ? hit.text : formatValue(v, panel.unit);
    var c = hit && hit.color ? color(hit.color) : thresholdColor(v, d.thresholds);
    var el = node('div', { class: 'stat-value', text: text, 'data-value': String(v) }, body);
    if (c) { body.style.background = c; body.classList.add('colored'); }
    if (result.length > 1) node('div', { class: 'stat-more', text: '+' + (result.length - 1) + ' more series' }, body);
    return el;
  }

  function drawGauge(panel, body, data) {
    body.textContent = '';
    var result = data.result || [];
    if (!result.length) { node('div', { class: 'stat-value nodata', text: 'No data' }, body); return; }
    var v = result.reduce(function (sum, r) { return sum + parseFloat(r.value[1]); }, 0);
    var d = panel.fieldConfig && panel.fieldConfig.defaults || {}, min = d.min || 0, max = d.max || Math.max(1, v * 1.5);
    var frac = Math.max(0, Math.min(1, (v - min) / (max - min)));
    var width = Math.max(160, body.clientWidth), height = Math.max(120, body.clientHeight);
    var r = Math.min(width / 2, height * 0.62) - 12, cx = width / 2, cy = 12 + r;
    var svg = s('svg', { width: width, height: height, viewBox: '0 0 ' + width + ' ' + height, class: 'gauge-svg' }, body);
    function arcPath(f0, f1) {
      var a0 = Math.PI * (1 + f0), a1 = Math.PI * (1 + f1);
      return 'M' + (cx + r * Math.cos(a0)).toFixed(1) + ',' + (cy + r * Math.sin(a0)).toFixed(1) +
        'A' + r + ',' + r + ' 0 0 1 ' + (cx + r * Math.cos(a1)).toFixed(1) + ',' + (cy + r * Math.sin(a1)).toFixed(1);
    }
    s('path', { d: arcPath(0, 1), class: 'gauge-track' }, svg);
    ((d.thresholds && d.thresholds.steps) || []).forEach(function (st, i, all) {
      var f0 = st.value === null || st.value === undefined ? 0 : (st.value - min) / (max - min);
      var next = all[i + 1], f1 = next ? (next.value - min) / (max - min) : 1;
      s('path', { d: arcPath(Math.max(0, f0), Math.min(1, f1)), class: 'gauge-band', stroke: color(st.color) }, svg);
    });
    if (frac > 0) s('path', { d: arcPath(0, Math.max(frac, 0.005)), class: 'gauge-value', stroke: thresholdColor(v, d.thresholds) || PALETTE[0] }, svg);
    s('text', { x: cx, y: cy - r * 0.12, 'text-anchor': 'middle', class: 'gauge-text', text: formatValue(v, panel.unit) }, svg);
    s('text', { x: cx - r, y: cy + 16, 'text-anchor': 'middle', class: 'tick', text: num(min) }, svg);
    s('text', { x: cx + r, y: cy + 16, 'text-anchor': 'middle', class: 'tick', text: num(max) }, svg);
  }

  function drawTimeseries(panel, body, legend, win, bands) {
    return Promise.all(panel.targets.map(function (target) { return rangeQuery(target.expr, win.start, win.end, win.step); })).then(function (all) {
      var series = [];
      all.forEach(function (data, i) { series = series.concat(toSeries(data.result, panel.targets[i].legendFormat, series.length)); });
      var d = panel.fieldConfig && panel.fieldConfig.defaults || {};
      // The legend first, so the chart measures the height that is left for it.
      drawLegend(legend, series, panel.unit);
      drawChart(body, series, { start: win.start, end: win.end, step: win.step, unit: panel.unit, min: d.min,
        bands: bands, onZoom: win.onZoom });
    });
  }

  // alertPeriods reads when each alert fired from the stored ALERTS series: one band per unbroken run of samples.
  function alertPeriods(win) {
    return rangeQuery('ALERTS{alertstate="firing"}', win.start, win.end, win.step).then(function (data) {
      var bands = [];
      (data.result || []).forEach(function (r) {
        var name = r.metric.alertname || 'alert', from = null, last = null;
        r.values.forEach(function (p) {
          if (last !== null && p[0] - last > win.step * 1.5) { bands.push({ from: from, to: last, name: name }); from = null; }
          if (from === null) from = p[0];
          last = p[0];
        });
        if (from !== null) bands.push({ from: from, to: last, name: name });
      });
      return bands;
    }, function () { return []; });
  }

  function params() {
    var out = {};
    location.search.slice(1).split('&').forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf('='), k = i < 0 ? kv : kv.slice(0, i), v = i < 0 ? '' : kv.slice(i + 1);
      out[decodeURIComponent(k.replace(/\+/g, ' '))] = decodeURIComponent(v.replace(/\+/g, ' '));
    });
    return out;
  }

  // The page's URL with `changes` applied (null removes a parameter), keeping every other parameter.
  function withParams(changes) {
    var search = new URLSearchParams(location.search);
    Object.keys(changes).forEach(function (k) { if (changes[k] === null) search.delete(k); else search.set(k, changes[k]); });
    return location.pathname + '?' + search.toString();
  }

  function initDashboard(root) {
    var model = JSON.parse(document.getElementById('dashboard-model').textContent);
    var start = parseFloat(root.getAttribute('data-start')), end = parseFloat(root.getAttribute('data-end'));
    var step = parseFloat(root.getAttribute('data-step')) || 15, relative = root.getAttribute('data-relative') === '1';
    var refresh = parseInt(root.getAttribute('data-refresh'), 10) || 0, showAlerts = root.getAttribute('data-alerts') === '1';
    // Drag-to-zoom: an absolute range in milliseconds, as Grafana's URL writes it.
    function onZoom(from, to) { location.assign(withParams({ from: String(from * 1000), to: String(to * 1000), range: null })); }
    function refreshAll() {
      var win = { start: start, end: end, step: step, onZoom: onZoom };
      if (relative) { win.end = Math.floor(Date.now() / 1000); win.start = win.end - (end - start); }
      var bands = showAlerts && model.panels.some(function (p) { return p.type === 'timeseries'; }) ? alertPeriods(win) : Promise.resolve([]);
      var jobs = model.panels.map(function (panel) {
        var el = document.getElementById('panel-' + panel.index);
        var body = el.querySelector('.panel-body'), legend = el.querySelector('.panel-legend');
        var work;
        if (panel.type === 'timeseries') {
          work = bands.then(function (b) { return drawTimeseries(panel, body, legend, win, b); });
        } else {
          work = instantQuery(panel.targets[0].expr).then(function (data) {
            if (panel.type === 'gauge') drawGauge(panel, body, data); else drawStat(panel, body, data);
          });
        }
        return work.then(function () { el.setAttribute('data-state', 'ok'); }, function (err) {
          el.setAttribute('data-state', 'error'); showError(body, err.message);
        });
      });
      Promise.all(jobs).then(function () {
        root.setAttribute('data-loaded', String(Date.now()));
        var upd = document.getElementById('updated');
        if (upd) upd.textContent = 'Updated ' + stamp(Date.now() / 1000);
      });
    }
    refreshAll();
    if (refresh > 0) setInterval(refreshAll, refresh * 1000);
    var timer = null;
    window.addEventListener('resize', function () { clearTimeout(timer); timer = setTimeout(refreshAll, 250); });
    // Changing a variable reloads the page with the new `var-…` value, so the server substitutes it.
    var form = document.getElementById('variables');
    if (form) form.addEventListener('change', function () { form.submit(); });
  }

  window.VigilCharts = { formatValue: formatValue, seriesName: seriesName, drawChart: drawChart, drawLegend: drawLegend, params: params,
    withParams: withParams, rangeQuery: rangeQuery, getJSON: getJSON, toSeries: toSeries, showError: showError, axisLabels: axisLabels,
    timeTicks: timeTicks };
  document.addEventListener('DOMContentLoaded', function () {
    var dash = document.getElementById('dashboard');
    if (dash) initDashboard(dash);
  });
})();
"""#
}
