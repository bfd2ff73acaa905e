#!/usr/bin/env python3
"""Regenerates the template fixtures from Prometheus's own promtool (2.42 here).

  promtool-template-oracle.py expand templates-promtool.json
      runs every case's template as an annotation through `promtool test rules` and records the expansion;
  promtool-template-oracle.py parse template-parse-errors-promtool.json
      runs every case's template through `promtool check rules` and records the parse error (or null).

To add a case, append {"template": "..."} to the fixture's cases and rerun. Needs promtool on PATH.
"""
import json, os, re, subprocess, sys, tempfile


def go_unquote(s, i):
    """Decodes the Go-quoted string starting at s[i] == '"'; returns (value, index after it)."""
    i += 1
    out = bytearray()
    simple = {'a': 7, 'b': 8, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11, '\\': 92, '"': 34, "'": 39}
    while s[i] != '"':
        c = s[i]
        if c != '\\':
            out += c.encode(); i += 1
            continue
        n = s[i + 1]
        if n in simple:
            out.append(simple[n]); i += 2
        elif n == 'x':
            out.append(int(s[i + 2:i + 4], 16)); i += 4
        elif n == 'u':
            out += chr(int(s[i + 2:i + 6], 16)).encode(); i += 6
        elif n == 'U':
            out += chr(int(s[i + 2:i + 10], 16)).encode(); i += 10
        else:
            out.append(int(s[i + 1:i + 4], 8)); i += 4
    return out.decode('utf-8', 'replace'), i + 1


def expand(fixture, directory):
    templates = [c['template'] for c in fixture['cases']]
    labels = ', '.join(f'{k}="{v}"' for k, v in fixture['labels'].items() if k != '__name__')
    value = repr(fixture['value'])
    rules = {'groups': [{'name': 'g', 'rules': [{'alert': 'A', 'expr': fixture['labels']['__name__'] + ' > -1e300',
             'annotations': {f'a{n:03d}': t for n, t in enumerate(templates)}}]}]}
    test = {'rule_files': ['r.yml'], 'evaluation_interval': '1m', 'tests': [{
        'interval': '1m', 'external_labels': fixture['externalLabels'], 'external_url': fixture['externalURL'],
        'input_series': [{'series': fixture['labels']['__name__'] + '{' + labels + '}', 'values': f'{value} {value}'}],
        'alert_rule_test': [{'eval_time': '1m', 'alertname': 'A', 'exp_alerts': [{'exp_labels': {}}]}]}]}
    json.dump(rules, open(os.path.join(directory, 'r.yml'), 'w'))
    json.dump(test, open(os.path.join(directory, 't.yml'), 'w'))
    p = subprocess.run(['promtool', 'test', 'rules', 't.yml'], cwd=directory, capture_output=True, text=True)
    out = p.stdout + p.stderr
    m = re.search(r'got:\[\s*0:\s*Labels:\{.*?\}\s*Annotations:\{', out, re.S)
    if not m:
        sys.exit(out)
    got, i = {}, m.end()
    while out[i] != '}':
        j = out.index('=', i)
        got[out[i:j]], i = go_unquote(out, j + 1)
        if out[i] == ',':
            i += 2
    for n, case in enumerate(fixture['cases']):
        case['expected'] = got.get(f'a{n:03d}', '')


def parse(fixture, directory):
    for case in fixture['cases']:
        rules = {'groups': [{'name': 'g', 'rules': [{'alert': 'A', 'expr': 'up', 'annotations': {'x': case['template']}}]}]}
        json.dump(rules, open(os.path.join(directory, 'r.yml'), 'w'))
        p = subprocess.run(['promtool', 'check', 'rules', 'r.yml'], cwd=directory, capture_output=True, text=True)
        lines = [l for l in p.stderr.splitlines() if l.startswith('r.yml: ')]
        case['error'] = lines[0].split('annotation "x": ', 1)[1] if lines else None


if __name__ == '__main__':
    mode, path = sys.argv[1], sys.argv[2]
    fixture = json.load(open(path))
    with tempfile.TemporaryDirectory() as directory:
        {'expand': expand, 'parse': parse}[mode](fixture, directory)
    with open(path, 'w') as f:
        json.dump(fixture, f, indent=1, ensure_ascii=False)
        f.write('\n')
