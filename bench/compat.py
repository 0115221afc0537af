#!/usr/bin/python3
"""Compatibility check of hotpath against the peers' own fixtures.

Run through bench/compat.sh, which builds hotpath and installs the peers.
For every file: run `hotpath report -format json` with a timeout, classify
the outcome (accepted, clear error, panic, hang), run the peer on the same
file (pgBadger, pt-query-digest, go tool pprof, go tool trace) or compute
the reference numbers from the file itself (spans of Jaeger/Zipkin/OTLP
JSON, folded-stack totals, speedscope weights, Chrome trace events), and
compare the main numbers. Standard library only; nothing here imports or
reuses hotpath code, so the references stay independent of it.
"""
import argparse
import glob
import gzip
import bz2
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

TIMEOUT = 60
PEER_TIMEOUT = 300


def run(cmd, timeout, cwd=None, env=None):
    """Run cmd in its own process group; returns (rc, stdout, stderr, hung)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         cwd=cwd, env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err, False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        return -9, out, err, True


def have(tool):
    return shutil.which(tool) is not None


def read_bytes(path, limit=64 << 20):
    """The file's bytes, gzip/bzip2 undone (peers' references need plain
    text); limit None reads everything."""
    with open(path, 'rb') as f:
        head = f.read(4)
    opener = open
    if head[:2] == b'\x1f\x8b':
        opener = gzip.open
    elif head[:3] == b'BZh':
        opener = bz2.open
    try:
        with opener(path, 'rb') as f:
            return f.read() if limit is None else f.read(limit)
    except Exception:
        return b''


def load_json(path):
    b = read_bytes(path)
    for enc in ('utf-8-sig', 'utf-16'):
        try:
            return json.loads(b.decode(enc))
        except Exception:
            continue
    return None


# ------------------------------------------------------------------ hotpath

def hotpath(binary, path, timeout, extra=()):
    rc, out, err, hung = run([binary, 'report', '-format', 'json', *extra, path], timeout)
    err = err.decode('utf-8', 'replace')
    r = {'rc': rc, 'stderr': err}
    if hung:
        r['outcome'] = 'hang'
    elif 'panic:' in err or 'internal error' in err or 'goroutine ' in err and '[running]' in err:
        r['outcome'] = 'panic'
    elif rc == 0:
        try:
            r['json'] = json.loads(out)
            r['outcome'] = 'accepted'
        except Exception as e:
            r['outcome'] = 'panic'
            r['stderr'] = 'report is not JSON: %s' % e
    else:
        first = next((l for l in err.splitlines() if l.strip()), '')
        # A clear error names the input and says what happened.
        r['outcome'] = 'error' if path in first or os.path.basename(path) in first else 'unclear'
        r['message'] = first
    return r


def hp_sql(j):
    qs = j['queries']
    return {
        'statements': sum(q['count'] for q in qs),
        'total_ms': sum(q['total_ms'] for q in qs),
        'fingerprints': len(qs),
        'opened': j['connections']['opened'],
        'closed': j['connections']['closed'],
    }


def hp_profile(j):
    """Samples and total value of the sample type the report shows."""
    hs = j['hotspots']
    events = sum(s['events'] for s in j['sources'])
    if not hs:
        return {'samples': events, 'total': 0, 'sample_type': ''}
    best = max(hs, key=lambda h: (h['flat_share'], h['cum_share']))
    if best['flat_share'] > 0:
        total = best['flat'] / best['flat_share']
    elif best['cum_share'] > 0:
        total = best['cum'] / best['cum_share']
    else:
        total = 0
    top = max(hs, key=lambda h: h['flat'])
    return {'samples': events, 'total': total, 'sample_type': best['sample_type'], 'top_self': top['flat']}


# ------------------------------------------------------------------- peers

# Options pgBadger's own tests (t/*.t) pass for some of its fixtures; it
# cannot detect these layouts by itself.
PGBADGER_OPTS = {
    'begin_end.log': ['-p', '%t [%p]: db=%d,user=%u,app=%a,client=%h '],
    'pg-timezones.log': ['-p', '%t:%h:%u@%d:[%p]:'],
    'csv_statement_without_duration.log': ['-f', 'csv'],
    'anonymize.log': ['-f', 'csv'],
    'weeknumber.log': ['-f', 'csv'],
    'postgresql_param_range.log': ['-f', 'stderr'],
    'stmt_type.log': ['-f', 'stderr'],
}


def peer_pgbadger(path, work):
    if not have('pgbadger'):
        return None
    out = os.path.join(work, 'pgbadger.json')
    if os.path.exists(out):
        os.remove(out)
    opts = PGBADGER_OPTS.get(os.path.basename(path), [])
    rc, _, err, hung = run(['pgbadger', '-q', '-j', '1', '-x', 'json', '-o', out, *opts, path], PEER_TIMEOUT)
    if hung:
        return {'rejected': 'pgbadger timed out'}
    if rc != 0 or not os.path.exists(out):
        if b'"logger":"postgres"' in read_bytes(path, limit=64 << 10):
            return cnpg_reference(path)
        return {'rejected': 'pgbadger: ' + err.decode('utf-8', 'replace').strip()[:120]}
    with open(out, encoding='utf-8', errors='replace') as f:
        j = json.load(f)
    st, ms = 0, 0.0
    for k, v in (j.get('overall_stat') or {}).items():
        if isinstance(v, dict) and 'queries_number' in v:
            st += v.get('queries_number') or 0
            ms += float((v.get('queries_duration') or {}).get('execute') or 0)
    fps = sum(len(v) for v in (j.get('normalyzed_info') or {}).values() if isinstance(v, dict))
    opened = sum((v or {}).get('count', 0) for v in (j.get('connection_info') or {}).values() if isinstance(v, dict))
    closed = sum((v or {}).get('count', 0) for v in (j.get('session_info') or {}).values() if isinstance(v, dict))
    return {'statements': st, 'total_ms': ms, 'fingerprints': fps, 'opened': opened, 'closed': closed,
            'peer': 'pgbadger ' + ' '.join(opts)}


def peer_ptqd(path, work, genlog=False):
    if not have('pt-query-digest'):
        return None
    cmd = ['pt-query-digest', '--no-version-check', '--output', 'json', '--limit', '100%']
    if genlog:
        cmd += ['--type', 'genlog']
    with open(path, 'rb') as f:
        magic = f.read(3)
    if magic[:2] == b'\x1f\x8b' or magic == b'BZh':
        # pt-query-digest reads plain files only: give it the same bytes.
        plain = os.path.join(work, 'plain.log')
        with open(plain, 'wb') as f:
            f.write(read_bytes(path, limit=None))
        path = plain
    rc, out, err, hung = run(cmd + [path], PEER_TIMEOUT)
    if hung:
        return {'rejected': 'pt-query-digest timed out'}
    text = out.decode('utf-8', 'replace').strip()
    if rc != 0:
        return {'rejected': 'pt-query-digest: ' + err.decode('utf-8', 'replace').strip()[:120]}
    if not text:
        return {'statements': 0, 'total_ms': 0.0, 'fingerprints': 0, 'peer': 'pt-query-digest'}
    j = json.loads(text)
    g = j.get('global') or {}
    qt = ((g.get('metrics') or {}).get('Query_time') or {}).get('sum') or 0
    r = {'statements': g.get('query_count', 0), 'fingerprints': g.get('unique_query_count', 0),
         'peer': 'pt-query-digest' + (' --type genlog' if genlog else '')}
    if not genlog:
        r['total_ms'] = float(qt) * 1000
        return r
    # In a general log pt-query-digest counts every command; Connect and
    # Quit are connection events to hotpath, Init DB a change of database
    # and the other protocol commands no SQL: compare the SQL statements
    # and the connections apart.
    admin = [c for c in j.get('classes', []) if c['fingerprint'].startswith('administrator command: ')]
    count = lambda name: sum(c['query_count'] for c in admin if c['fingerprint'] == 'administrator command: ' + name)
    r['statements'] -= sum(c['query_count'] for c in admin)
    r['fingerprints'] -= len(admin)
    r['opened'], r['closed'] = count('Connect'), count('Quit')
    return r


RAW_SAMPLE = re.compile(rb'^\s*(-?\d+(?:\s+-?\d+)*):')


def pprof_raw(path, work):
    """Sample count and per-type totals from `go tool pprof -raw`."""
    rc, out, err, hung = run(['go', 'tool', 'pprof', '-raw', path], PEER_TIMEOUT, cwd=work)
    if hung:
        return {'rejected': 'go tool pprof timed out'}
    if rc != 0 or b'Samples:' not in out:
        msg = err.decode('utf-8', 'replace').strip().splitlines()
        return {'rejected': 'go tool pprof: ' + (msg[-1] if msg else 'no samples')[:120]}
    lines = out.split(b'\n')
    i = lines.index(b'Samples:')
    types = lines[i + 1].decode().split()
    totals = [0] * len(types)
    n = 0
    for l in lines[i + 2:]:
        m = RAW_SAMPLE.match(l)
        if not m:
            if l.startswith(b'Locations') or l.startswith(b'Mappings'):
                break
            continue
        vals = [int(x) for x in m.group(1).split()]
        if len(vals) != len(types):
            continue
        n += 1
        for k, v in enumerate(vals):
            totals[k] += v
    return {'samples': n, 'totals': dict(zip(types, totals)), 'peer': 'go tool pprof -raw'}


def peer_pprof(path, work):
    return pprof_raw(path, work)


TRACE_KINDS = ('net', 'sync', 'syscall', 'sched')


def peer_gotrace(path, work):
    """Totals of the four blocking profiles `go tool trace -pprof` derives."""
    r = {'peer': 'go tool trace -pprof'}
    for kind in TRACE_KINDS:
        rc, out, err, hung = run(['go', 'tool', 'trace', '-pprof=' + kind, path], PEER_TIMEOUT, cwd=work)
        if hung:
            return {'rejected': 'go tool trace timed out'}
        if rc != 0:
            msg = err.decode('utf-8', 'replace').strip().splitlines()
            return {'rejected': 'go tool trace: ' + (msg[-1] if msg else 'failed')[:120]}
        p = os.path.join(work, 'peer-%s.pprof' % kind)
        with open(p, 'wb') as f:
            f.write(out)
        raw = pprof_raw(p, work) if out else {'totals': {}}
        r[kind] = sum(raw.get('totals', {}).values()) if 'rejected' not in raw else 0
    return r


def hp_gotrace(binary, path, work, timeout):
    d = os.path.join(work, 'hp-pprof')
    shutil.rmtree(d, ignore_errors=True)
    h = hotpath(binary, path, timeout, extra=('-pprof-out', d))
    if h['outcome'] != 'accepted':
        return h, None
    got = {}
    for kind in TRACE_KINDS:
        files = glob.glob(os.path.join(d, '*-%s.pb.gz' % kind))
        got[kind] = 0
        for p in files:
            raw = pprof_raw(p, work)
            got[kind] += sum(raw.get('totals', {}).values()) if 'rejected' not in raw else 0
    return h, got


SPAN_TIME_KEYS = ('name', 'operationname', 'operation_name', 'starttimeunixnano', 'starttime', 'start_time', 'timestamp')
DURATION = re.compile(r'^\d+(\.\d+)?(ns|us|µs|ms|s)?$')


def walk_spans(doc):
    """Span objects anywhere in a Jaeger/Zipkin/OTLP document: objects with a
    trace id, a span id and a name or start time, not counting span
    references, links and log records (which carry ids too). A span whose
    duration is not a number makes the document invalid, as Jaeger says."""
    spans, traces = 0, set()
    stack = [doc]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, dict):
            keys = {k.lower(): k for k in v}
            tk = next((keys[k] for k in ('traceid', 'trace_id', 'traceidlow') if k in keys), None)
            sk = next((keys[k] for k in ('spanid', 'span_id', 'id') if k in keys), None)
            if tk and sk and 'reftype' not in keys and any(k in keys for k in SPAN_TIME_KEYS):
                d = v.get(keys.get('duration', ''))
                if isinstance(d, str) and not DURATION.match(d) or isinstance(d, (dict, list, bool)):
                    raise ValueError('span duration %r is not a number' % d)
                spans += 1
                traces.add(json.dumps(v[tk]) + json.dumps(v.get(keys.get('traceidhigh', ''), '')))
            for k, c in v.items():
                if k.lower() in ('references', 'links', 'refs'):
                    continue
                if isinstance(c, (dict, list)):
                    stack.append(c)
    return spans, len(traces)


def ref_spans(path, work):
    doc = load_json(path)
    if doc is None:
        # OTLP file exporter: one document per line.
        docs = []
        for l in read_bytes(path).splitlines():
            try:
                docs.append(json.loads(l))
            except Exception:
                pass
        doc = docs or None
    if doc is None:
        return {'rejected': 'not JSON', 'peer': 'python'}
    try:
        spans, traces = walk_spans(doc)
    except ValueError as e:
        return {'rejected': str(e), 'peer': 'python'}
    return {'spans': spans, 'traces': traces, 'peer': 'python: objects with trace and span ids'}


FOLDED = re.compile(r'^(.*\S)\s+(\d+)$')


def ref_folded(path, work):
    b = read_bytes(path)
    for enc in ('utf-8-sig', 'utf-16'):
        try:
            text = b.decode(enc)
            if enc == 'utf-16' or '\x00' not in text:
                break
        except Exception:
            continue
    else:
        text = b.decode('utf-8', 'replace')
    total, lines, self_ = 0, 0, {}
    for l in text.splitlines():
        l = l.rstrip('\r')
        if not l.strip() or l.startswith('#'):
            continue
        m = FOLDED.match(l)
        if not m:
            continue
        n = int(m.group(2))
        lines += 1
        total += n
        leaf = m.group(1).split(';')[-1]
        self_[leaf] = self_.get(leaf, 0) + n
    if not lines:
        return {'rejected': 'no folded stacks', 'peer': 'python'}
    return {'total': total, 'top_self': max(self_.values()), 'peer': 'python: sum of counts, self time per frame'}


SS_SCALE = {'nanoseconds': 1, 'microseconds': 1e3, 'milliseconds': 1e6, 'seconds': 1e9}


def ref_speedscope(path, work):
    doc = load_json(path)
    if not isinstance(doc, dict) or not doc.get('profiles'):
        return {'rejected': 'no speedscope profiles', 'peer': 'python'}
    total, samples, malformed = 0.0, 0, []
    for p in doc['profiles']:
        scale = SS_SCALE.get(p.get('unit'), 1)
        if p.get('type') == 'sampled':
            ws = p.get('weights') or [1] * len(p.get('samples', []))
            samples += len(p.get('samples', []))
            total += sum(ws) * scale
        elif p.get('type') == 'evented':
            depth, last = [], None
            for e in p.get('events', []):
                if last is not None and e['at'] < last:
                    malformed.append('event goes back in time')
                if depth and last is not None and e['at'] > last:
                    total += (e['at'] - last) * scale
                last = e['at'] if last is None else max(last, e['at'])
                if e['type'] == 'O':
                    depth.append(e['frame'])
                elif e['type'] == 'C':
                    if not depth or depth[-1] != e['frame']:
                        malformed.append('close of a frame that is not innermost')
                        break
                    depth.pop()
            if depth:
                malformed.append('frames left open')
            samples += len(p.get('events', []))
    if malformed:
        return {'malformed': malformed[0], 'peer': 'python'}
    return {'total': total, 'peer': 'python: speedscope weights / open-frame time'}


def ref_chrome(path, work):
    doc = load_json(path)
    if doc is None:
        # Chrome accepts an unterminated array (a trace cut short).
        t = read_bytes(path).decode('utf-8', 'replace').rstrip().rstrip(',')
        try:
            doc = json.loads(t + ']')
        except Exception:
            return {'rejected': 'not JSON', 'peer': 'python'}
    evs = doc.get('traceEvents') if isinstance(doc, dict) else doc
    if not isinstance(evs, list):
        return {'rejected': 'no trace events', 'peer': 'python'}
    # Every X event is a span, and so is every B event: one whose E is
    # missing is closed at the end of the trace, as speedscope's importer
    # and chrome://tracing do; an E without its B draws nothing.
    spans, samples = 0, 0
    for e in evs:
        if not isinstance(e, dict):
            continue
        if e.get('ph') in ('X', 'B'):
            spans += 1
        if e.get('name') == 'ProfileChunk':
            cp = ((e.get('args') or {}).get('data') or {}).get('cpuProfile') or {}
            samples += len(cp.get('samples') or [])
    if isinstance(doc, dict) and isinstance(doc.get('samples'), list):
        samples += len(doc['samples'])
    return {'spans': spans, 'samples': samples, 'peer': 'python: X and B events'}


# Disagreements where hotpath's reading is the better one (README:
# "Where hotpath and the peers differ, and why"): file name → (what the
# difference must look like, why hotpath is right).
JUSTIFIED = {
    'csv_statement_without_duration.log': (
        'total_ms 688786.283 vs 1377572.566',
        'pgBadger 12.0 gives the statement-only record the duration of the record before it; '
        'its own test t/07_csv_statement_duration.t asserts it must not (fixed after 12.0)'),
    'jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-in.json': (
        'spans 1 vs 2',
        'the file holds one span twice (same trace and span id, name and start): exported twice, it counts once'),
    'jaeger_internal_extension_jaegerquery_internal_fixture_otlp2jaeger-out.json': (
        'spans 1 vs 2',
        'the same span twice, as above'),
    'anonymizer_app_uiconv_fixtures_trace_wrong_format.json': (
        'spans 1 vs 0',
        "a bare Jaeger span object: hotpath reads it as one span; the anonymizer expects a trace list and reads none"),
    'anonymizer_app_uiconv_fixtures_trace_scan_error.json': (
        'peer rejects',
        'the spans before the syntax error are kept, with a warning; the anonymizer also reads them, then fails'),
    'storage_v2_cassandra_tracestore_fixtures_cas_01.json': (
        'hotpath rejects',
        "a Cassandra storage row, not an interchange format: rejected, as no trace tool reads it"),
    'simple-with-samples.json': (
        'samples 4 vs 7',
        'samples whose stack is only the root frame (the thread ran no code) are left out with a warning, as DevTools leaves idle samples out'),
}


def cnpg_reference(path):
    """Statements, time and connections of a CloudNativePG log, counted from
    its records (pgBadger 12.0 predates the layout)."""
    st, ms, opened, closed = 0, 0.0, 0, 0
    for l in read_bytes(path, limit=None).splitlines():
        try:
            rec = json.loads(l).get('record') or {}
        except Exception:
            continue
        m = re.match(r'duration: ([0-9.]+) ms  (statement|execute [^:]*):', rec.get('message', ''))
        if m:
            st += 1
            ms += float(m.group(1))
        opened += rec.get('message', '').startswith('connection authorized: ')
        closed += rec.get('message', '').startswith('disconnection: ')
    return {'statements': st, 'total_ms': ms, 'opened': opened, 'closed': closed,
            'peer': 'python: CloudNativePG records (pgBadger 12.0 cannot read them)'}


# -------------------------------------------------------------- comparison

def close(a, b, rel=0.005, abs_=1.0):
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def compare(kind, h, ref, extra=None):
    """Returns ('agree'|'disagree'|'unchecked', detail)."""
    if ref is None:
        return 'unchecked', 'peer not installed'
    if 'malformed' in ref:
        return 'unchecked', 'malformed by the format\'s rules (%s); hotpath: %s' % (
            ref['malformed'], h.get('message') or 'accepted')
    accepted = h['outcome'] == 'accepted'
    if 'rejected' in ref:
        if accepted:
            return 'disagree', 'peer rejects (%s), hotpath accepts' % ref['rejected']
        return 'agree', 'both reject'
    empty = all(not ref.get(k) for k in ('statements', 'opened', 'closed', 'samples', 'total', 'spans', 'net', 'sync', 'syscall', 'sched'))
    if not accepted:
        if empty:
            return 'agree', 'peer finds nothing, hotpath: %s' % h.get('message', '')
        return 'disagree', 'hotpath rejects (%s); peer: %s' % (h.get('message', ''), brief(ref))
    j = h['json']
    diffs = []
    if kind in ('pg', 'slow', 'genlog'):
        got = hp_sql(j)
        keys = ['statements', 'total_ms', 'opened', 'closed']
        if kind != 'pg':
            keys.append('fingerprints')  # pt-query-digest's fingerprints are the model
        for k in keys:
            if k not in ref or k in ('opened', 'closed') and not ref.get(k) and not got.get(k):
                continue
            ok = close(got[k], ref[k], abs_=0.01) if k == 'total_ms' else got[k] == ref[k]
            if not ok:
                diffs.append('%s %s vs %s' % (k, fmt(got[k]), fmt(ref[k])))
    elif kind in ('pprof',):
        got = hp_profile(j)
        typ = got['sample_type']
        tot = ref['totals'].get(typ)
        if got['samples'] != ref['samples']:
            diffs.append('samples %d vs %d' % (got['samples'], ref['samples']))
        if tot is None:
            diffs.append('sample type %s not in the peer\'s %s' % (typ, list(ref['totals'])))
        elif not close(got['total'], tot):
            diffs.append('%s total %s vs %s' % (typ, fmt(got['total']), fmt(tot)))
    elif kind in ('folded', 'speedscope'):
        got = hp_profile(j)
        if not close(got['total'], ref['total']):
            diffs.append('total %s vs %s' % (fmt(got['total']), fmt(ref['total'])))
        if 'top_self' in ref and got.get('top_self') != ref['top_self']:
            diffs.append('largest self value %s vs %s' % (fmt(got.get('top_self', 0)), fmt(ref['top_self'])))
    elif kind in ('spans',):
        t = j['traces']
        for k in ('spans', 'traces'):
            if t[k] != ref[k]:
                diffs.append('%s %d vs %d' % (k, t[k], ref[k]))
    elif kind == 'chrome':
        t = j['traces']
        if t['spans'] or not j['hotspots']:
            if t['spans'] != ref['spans']:
                diffs.append('spans %d vs %d' % (t['spans'], ref['spans']))
        if j['hotspots'] and ref['samples'] and not t['spans']:
            got = hp_profile(j)
            if got['samples'] != ref['samples']:
                diffs.append('samples %d vs %d' % (got['samples'], ref['samples']))
    elif kind == 'gotrace':
        for k in TRACE_KINDS:
            if not close(extra.get(k, 0), ref.get(k, 0), rel=0.01, abs_=1000):
                diffs.append('%s %s vs %s ns' % (k, fmt(extra.get(k, 0)), fmt(ref.get(k, 0))))
    if diffs:
        return 'disagree', '; '.join(diffs)
    return 'agree', brief(ref)


def fmt(x):
    if isinstance(x, float):
        return ('%.3f' % x).rstrip('0').rstrip('.')
    return str(x)


def brief(ref):
    return ', '.join('%s %s' % (k, fmt(v)) for k, v in ref.items()
                     if k not in ('peer', 'totals') and not isinstance(v, (dict, list)))


# ------------------------------------------------------------------ driver

def kind_of(path, h):
    p = path.replace(os.sep, '/')
    for marker, kind in (('/pgbadger/', 'pg'), ('/percona-slowlogs/', 'slow'), ('/percona-genlogs/', 'genlog'),
                         ('/speedscope/pprof/', 'pprof'), ('/pprof/', 'pprof'),
                         ('/stackcollapse/', 'folded'), ('/flamegraph-collapsed/', 'folded'),
                         ('/speedscope/speedscope/', 'speedscope'), ('/trace-event/', 'chrome'),
                         ('/chrome-116/', 'chrome'), ('/jaeger/', 'spans'), ('/zipkin/', 'spans'),
                         ('/otlp/', 'spans'), ('/internal/trace/testdata/', 'gotrace'),
                         ('/recorded-go-traces/', 'gotrace')):
        if marker in p:
            return kind
    if h.get('outcome') == 'accepted':
        f = h['json']['sources'][0]['format']
        return {'pprof': 'pprof', 'folded': 'folded', 'speedscope': 'speedscope', 'go-trace': 'gotrace',
                'chrome-trace': 'chrome', 'mysql-slow': 'slow', 'mysql-general': 'genlog'}.get(
            f, 'pg' if f.startswith('postgres') else 'spans' if f.endswith('-json') else None)
    return None


def reference(kind, path, work):
    if kind == 'pg':
        return peer_pgbadger(path, work)
    if kind == 'slow':
        return peer_ptqd(path, work)
    if kind == 'genlog':
        return peer_ptqd(path, work, genlog=True)
    if kind == 'pprof':
        return peer_pprof(path, work)
    if kind == 'gotrace':
        return peer_gotrace(path, work)
    if kind == 'spans':
        return ref_spans(path, work)
    if kind == 'folded':
        return ref_folded(path, work)
    if kind == 'speedscope':
        return ref_speedscope(path, work)
    if kind == 'chrome':
        return ref_chrome(path, work)
    return None


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                for n in sorted(names):
                    out.append((p, os.path.join(root, n)))
        elif os.path.exists(p):
            out.append((os.path.dirname(p), p))
    return out


def record_go_traces(testdata, work, timeout):
    """Record real execution traces with the Go toolchain's own trace test
    programs (they write a trace to stdout); cgo and internal-package ones
    cannot be built outside the toolchain and are left out."""
    outdir = os.path.join(work, 'recorded-go-traces')
    os.makedirs(outdir, exist_ok=True)
    made = []
    for prog in sorted(glob.glob(os.path.join(testdata, 'testprog', '*.go'))):
        src = open(prog, encoding='utf-8').read()
        if 'import "C"' in src or '"internal/' in src:
            continue
        name = os.path.basename(prog)[:-3]
        dst = os.path.join(outdir, name + '.trace')
        if not os.path.exists(dst):
            rc, out, err, hung = run(['go', 'run', prog], timeout)
            if rc != 0 or hung or not out.startswith(b'go 1.'):
                print('  (could not record %s: %s)' % (name, 'timeout' if hung else err.decode()[-200:].strip()),
                      file=sys.stderr)
                continue
            with open(dst, 'wb') as f:
                f.write(out)
        made.append(dst)
    return outdir if made else None


def group_of(base, path):
    rel = os.path.relpath(path, base)
    top = rel.split(os.sep)[0] if os.sep in rel else ''
    name = os.path.basename(base.rstrip('/'))
    if 'internal/trace/testdata' in base:
        return 'go internal/trace/testdata'
    if name == 'recorded-go-traces':
        return 'go trace testprogs (recorded)'
    return top or 'files at the top of ' + name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--hotpath', required=True)
    ap.add_argument('--work', required=True)
    ap.add_argument('--timeout', type=float, default=TIMEOUT)
    ap.add_argument('--go-trace-testdata')
    ap.add_argument('--tsv')
    ap.add_argument('paths', nargs='+')
    a = ap.parse_args()
    paths = list(a.paths)
    if a.go_trace_testdata:
        paths.append(a.go_trace_testdata)
        rec = record_go_traces(a.go_trace_testdata, a.work, max(a.timeout, 120))
        if rec:
            paths.append(rec)
    rows = []
    files = files_of(paths)
    t0 = time.time()
    for i, (base, path) in enumerate(files):
        if kind_of(path, {}) == 'gotrace':
            h, extra = hp_gotrace(a.hotpath, path, a.work, a.timeout)
        else:
            h, extra = hotpath(a.hotpath, path, a.timeout), None
        kind = kind_of(path, h)
        ref = reference(kind, path, a.work) if kind else None
        if h['outcome'] in ('panic', 'hang', 'unclear'):
            verdict, detail = h['outcome'], (h.get('message') or h['stderr'].strip().splitlines()[:1] or [''])[0]
        else:
            verdict, detail = compare(kind, h, ref, extra) if kind else ('unchecked', 'no peer for this kind')
            why = JUSTIFIED.get(os.path.basename(path))
            if verdict == 'disagree' and why and why[0] in detail:
                verdict, detail = 'justified', detail + ' — ' + why[1]
        rows.append({'group': group_of(base, path), 'file': path, 'outcome': h['outcome'],
                     'verdict': verdict, 'detail': detail, 'peer': (ref or {}).get('peer', '')})
        if sys.stderr.isatty():
            print('\r  %d/%d files (%.0f s)' % (i + 1, len(files), time.time() - t0), end='', file=sys.stderr)
    print('  %d files in %.0f s' % (len(files), time.time() - t0), file=sys.stderr)

    groups = []
    for r in rows:
        if r['group'] not in groups:
            groups.append(r['group'])
    hdr = ('group', 'files', 'accepted', 'clear errors', 'panics', 'hangs', 'agree', 'disagree', 'justified', 'unchecked')
    table = []
    for g in groups + ['total']:
        rs = [r for r in rows if g == 'total' or r['group'] == g]
        table.append((g, len(rs),
                      sum(r['outcome'] == 'accepted' for r in rs),
                      sum(r['outcome'] == 'error' for r in rs),
                      sum(r['outcome'] == 'panic' for r in rs),
                      sum(r['outcome'] == 'hang' for r in rs),
                      sum(r['verdict'] == 'agree' for r in rs),
                      sum(r['verdict'] == 'disagree' for r in rs),
                      sum(r['verdict'] == 'justified' for r in rs),
                      sum(r['verdict'] == 'unchecked' for r in rs)))
    print('| ' + ' | '.join(hdr) + ' |')
    print('|' + '---|' * len(hdr))
    for t in table:
        print('| ' + ' | '.join(str(x) for x in t) + ' |')
    unclear = [r for r in rows if r['outcome'] == 'unclear']
    if unclear:
        print('\nErrors that do not name the input:')
        for r in unclear:
            print('  %s: %s' % (os.path.relpath(r['file']), r['detail'][:200]))
    bad = [r for r in rows if r['verdict'] in ('disagree', 'panic', 'hang')]
    print('\nDisagreements (hotpath vs peer):' if bad else '\nNo disagreements.')
    for r in bad:
        print('  %s [%s]: %s' % (short(r['file']), r['verdict'], r['detail'][:300]))
    just = [r for r in rows if r['verdict'] == 'justified']
    if just:
        print('\nJustified (hotpath reads these better):')
        for r in just:
            print('  %s: %s' % (short(r['file']), r['detail'][:400]))
    if a.tsv:
        with open(a.tsv, 'w') as f:
            f.write('group\tfile\toutcome\tverdict\tpeer\tdetail\n')
            for r in rows:
                f.write('\t'.join([r['group'], r['file'], r['outcome'], r['verdict'], r['peer'],
                                   r['detail'].replace('\t', ' ').replace('\n', ' ')]) + '\n')
        print('\nper-file results: %s' % a.tsv)


def short(p):
    parts = p.split(os.sep)
    return os.sep.join(parts[-2:])


if __name__ == '__main__':
    main()
