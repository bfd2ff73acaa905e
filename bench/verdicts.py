#!/usr/bin/env python3
"""Differential check of verdicts: mutated rule files and prometheus.yml files through `promtool check` and
`vigil check`, which must agree on valid/invalid.

Rule files come from ../shared/conformance/external (read at run time, never copied); configurations from the
repository's test fixtures. Mutations are seeded, so a run is repeatable. Prints every disagreement and a
`N agree, N differ (N known)` summary; exits 1 when an unexplained disagreement is found.

    bench/verdicts.py [--seed N] [--count N] [--kind rules|config|both] [--vigil PATH] [--shared DIR]
"""
import argparse, glob, os, random, subprocess, sys, tempfile

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser()
parser.add_argument('--seed', type=int, default=1)
parser.add_argument('--count', type=int, default=200)
parser.add_argument('--kind', default='both', choices=['rules', 'config', 'both'])
parser.add_argument('--vigil', default=os.path.join(repo, '.build/debug/vigil'))
parser.add_argument('--shared', default=os.environ.get('VIGIL_SHARED', os.path.join(repo, '..', 'shared')))
args = parser.parse_args()
rng = random.Random(args.seed)

# Disagreements we keep on purpose, each with its reason; matched on Vigil's message.
KNOWN = [
    ('did not find expected <document start>',
     'a second top-level node after the first mapping ended (e.g. a first key indented by one space): '
     'promtool stops reading at the end of the first node and silently ignores the rest of the file; '
     'Vigil refuses the file with the position instead of ignoring keys'),
]

def sources(kind):
    if kind == 'rules':
        found = glob.glob(os.path.join(args.shared, 'conformance/external/**/*.y*ml'), recursive=True)
        return sorted(f for f in found if 'test' not in os.path.basename(f) and os.path.getsize(f) < 60000)
    found = glob.glob(os.path.join(repo, 'Tests/ScraperTests/Fixtures/config/good-*.yml'))
    return sorted(found) + [os.path.join(repo, 'config/vigil.yml')]

def mutate(text):
    lines = text.split('\n')
    op, i = rng.randrange(8), rng.randrange(len(lines))
    line = lines[i]
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[rng.randrange(len(lines))])
    elif op == 2:
        lines[i] = ' ' + line
    elif op == 3 and line:
        j = rng.randrange(len(line))
        lines[i] = line[:j] + rng.choice('{}[]:"\'()=~!,|&*#-0 a\\%$') + line[j:]
    elif op == 4 and line:
        j = rng.randrange(len(line))
        lines[i] = line[:j] + line[j + 1:]
    elif op == 5:
        lines.insert(i, line.split(':')[0] + 'x: 1' if ':' in line else 'unknown_key: 1')
    elif op == 6:
        for old in ('5m', '15s', '1m', '10s'):
            if old in line:
                lines[i] = line.replace(old, rng.choice(['5x', '0s', '-5m', '5m5m', '1y1y', '99999999999999999999y', '5M', '1e3s']))
                break
    elif ' for:' in line:
        lines[i] = line.replace(' for:', rng.choice([' keep_firing_for:', ' for: -', ' for: 1e9y #']))
    else:
        lines[i] = line.replace('expr:', 'expr: ' + rng.choice(['(', 'sum(', ' @ 1e300 ', '1 offset ', '-', 'rate(']))
    return '\n'.join(lines)

def run(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    return result.returncode, (result.stdout + result.stderr).strip()

agree = differ = known = 0
work = tempfile.mkdtemp(prefix='vigil-verdicts-')
kinds = ['rules', 'config'] if args.kind == 'both' else [args.kind]
for kind in kinds:
    files = sources(kind)
    if not files:
        sys.exit(f'no {kind} sources found (is {args.shared} there?)')
    for n in range(args.count):
        source = rng.choice(files)
        text = open(source, errors='replace').read()
        for _ in range(rng.randint(1, 3)):
            text = mutate(text)
        path = os.path.join(work, f'{kind}-{n}.yml')
        with open(path, 'w') as f:
            f.write(text)
        promtool_status, promtool_out = run(['promtool', 'check', kind, path])
        vigil_status, vigil_out = run([args.vigil, 'check', kind, path])
        if (promtool_status == 0) == (vigil_status == 0):
            agree += 1
            os.remove(path)
            continue
        reason = next((why for marker, why in KNOWN if marker in vigil_out and promtool_status == 0), None)
        if reason:
            known += 1
        else:
            differ += 1
        print(f'{"known" if reason else "DIFFER"}: {path} (mutated {os.path.relpath(source, repo)}): '
              f'promtool exit {promtool_status}, vigil exit {vigil_status}')
        print('  promtool: ' + promtool_out[-300:].replace('\n', ' | '))
        print('  vigil:    ' + vigil_out[-300:].replace('\n', ' | '))

print(f'{agree + known} agree, {differ} differ ({known} known differences accepted)')
for marker, why in KNOWN:
    print(f'known difference: {why}')
sys.exit(1 if differ else 0)
