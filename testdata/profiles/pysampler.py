#!/usr/bin/env python3
"""A small real sampling profiler, to record folded and speedscope profiles
of a real Python program for hotpath's tests (py-spy is not installable here).

It samples the main thread's stack every 5 ms of CPU time with
signal.setitimer(ITIMER_PROF) and writes:
  - app.folded: "frame;frame;frame count" lines, frames as py-spy writes
    them: "function (path/file.py:line)"
  - app.speedscope.json: the same samples as a speedscope "sampled" profile,
    plus an "evented" profile recorded with sys.setprofile (open/close events)

Usage: python3 pysampler.py OUTDIR
"""
import collections
import json
import os
import signal
import sys
import time

SAMPLES = collections.Counter()


def frames_of(frame):
    out = []
    while frame is not None:
        co = frame.f_code
        out.append((co.co_name, os.path.relpath(co.co_filename), frame.f_lineno))
        frame = frame.f_back
    out.reverse()
    return tuple(out)


def on_prof(signum, frame):
    SAMPLES[frames_of(frame)] += 1


# --- the workload: a toy web backend's hot paths -------------------------

def parse_row(line):
    return [int(x) for x in line.split(",")]


def load_orders(n):
    lines = [",".join(str(i * j % 97) for j in range(20)) for i in range(n)]
    return [parse_row(l) for l in lines]


def price_order(row):
    total = 0
    for i, v in enumerate(row):
        total += (v * 31 + i) % 17
    return total


def render_invoice(rows):
    return "\n".join("%05d %s" % (price_order(r), "x" * (r[0] % 10)) for r in rows)


def handle_request(n):
    rows = load_orders(n)
    return len(render_invoice(rows))


def main_loop(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        handle_request(400)


def write_folded(path):
    with open(path, "w") as f:
        for stack, n in sorted(SAMPLES.items()):
            f.write(";".join("%s (%s:%d)" % fr for fr in stack) + " %d\n" % n)


def write_speedscope(path, evented):
    frames, index = [], {}

    def fidx(fr):
        key = (fr[0], fr[1], fr[2])
        if key not in index:
            index[key] = len(frames)
            frames.append({"name": fr[0], "file": fr[1], "line": fr[2]})
        return index[key]

    samples, weights = [], []
    for stack, n in sorted(SAMPLES.items()):
        samples.append([fidx(fr) for fr in stack])
        weights.append(n * 5.0)  # milliseconds of CPU per sample
    events = []
    for kind, at, fr in evented:
        events.append({"type": kind, "at": at, "frame": fidx(fr)})
    doc = {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": frames},
        "profiles": [
            {"type": "sampled", "name": "main thread", "unit": "milliseconds",
             "startValue": 0, "endValue": sum(weights), "samples": samples, "weights": weights},
        ],
        "name": "pysampler", "exporter": "pysampler.py",
    }
    if events:
        doc["profiles"].append({"type": "evented", "name": "traced request", "unit": "microseconds",
                                "startValue": events[0]["at"], "endValue": events[-1]["at"], "events": events})
    with open(path, "w") as f:
        json.dump(doc, f)


def trace_one_request():
    """Record exact open/close events of one request with sys.setprofile."""
    events, t0 = [], time.perf_counter()
    stack = []

    def prof(frame, event, arg):
        if event == "call":
            co = frame.f_code
            fr = (co.co_name, os.path.relpath(co.co_filename), co.co_firstlineno)
            stack.append(fr)
            events.append(("O", (time.perf_counter() - t0) * 1e6, fr))
        elif event == "return" and stack:
            fr = stack.pop()
            events.append(("C", (time.perf_counter() - t0) * 1e6, fr))

    sys.setprofile(prof)
    handle_request(50)
    sys.setprofile(None)
    # close anything left open (the setprofile(None) call itself)
    while stack:
        events.append(("C", (time.perf_counter() - t0) * 1e6, stack.pop()))
    return events


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    signal.signal(signal.SIGPROF, on_prof)
    signal.setitimer(signal.ITIMER_PROF, 0.005, 0.005)
    main_loop(float(os.environ.get("SECONDS_TO_RUN", "2")))
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    evented = trace_one_request()
    write_folded(os.path.join(out, "app.folded"))
    write_speedscope(os.path.join(out, "app.speedscope.json"), evented)
    print("samples:", sum(SAMPLES.values()), "stacks:", len(SAMPLES), "events:", len(evented))
