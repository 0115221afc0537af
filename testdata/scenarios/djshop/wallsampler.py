"""A wall-clock stack sampler for every thread of a process, writing what
`py-spy record --idle --threads --format raw` writes: one line per distinct
stack, root first, `thread (<native id>): <name>` as the root frame, frames as
`function (file:line)` with file names shortened against sys.path (longest
prefix wins), then the sample count. Idle threads are kept: a pool thread
waiting for work or the main loop in select() is a sample like any other.

    sampler = WallSampler("wall.txt", interval=0.005); sampler.start(); ...; sampler.stop()
"""
import collections
import json
import os
import sys
import threading
import time


class WallSampler(threading.Thread):
    def __init__(self, path, interval=0.005, meta_path=None):
        super().__init__(name="wallsampler", daemon=True)
        self.path, self.interval, self.meta_path = path, interval, meta_path
        self.counts = collections.Counter()
        self.ticks = 0
        self.halt = threading.Event()
        self.prefixes = sorted({os.path.join(os.path.abspath(p), "") for p in sys.path if p}, key=len, reverse=True)
        self.short_cache = {}

    def short(self, filename):
        s = self.short_cache.get(filename)
        if s is None:
            s = filename
            for p in self.prefixes:
                if filename.startswith(p):
                    s = filename[len(p):]
                    break
            self.short_cache[filename] = s
        return s

    def run(self):
        me = threading.get_ident()
        names = {}
        t0 = time.monotonic()
        due = t0
        while not self.halt.is_set():
            frames = sys._current_frames()
            if any(ident not in names for ident in frames if ident != me):
                # a new thread: name it as py-spy does, by its OS thread id; after a fork the
                # main thread's native_id is still the parent's, and its id is our pid
                main = threading.main_thread().ident
                names = {t.ident: "thread (%d): %s" % (os.getpid() if t.ident == main else t.native_id, t.name)
                         for t in threading.enumerate()}
            for ident, frame in frames.items():
                if ident == me:
                    continue
                stack = []
                while frame is not None:
                    code = frame.f_code
                    stack.append("%s (%s:%d)" % (code.co_name, self.short(code.co_filename), frame.f_lineno or 0))
                    frame = frame.f_back
                stack.append(names.get(ident, "thread (%d)" % ident))
                stack.reverse()
                self.counts[";".join(stack)] += 1
            frame = frames = None
            self.ticks += 1
            due += self.interval
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:
                due = time.monotonic()
        self.seconds = time.monotonic() - t0

    def stop(self):
        self.halt.set()
        self.join()
        with open(self.path, "w") as f:
            for stack, n in sorted(self.counts.items()):
                f.write("%s %d\n" % (stack, n))
        meta = {"pid": os.getpid(), "ticks": self.ticks, "seconds": round(self.seconds, 3),
                "interval_ms": round(1000 * self.seconds / max(1, self.ticks), 3),
                "configured_interval_ms": 1000 * self.interval}
        if self.meta_path:
            with open(self.meta_path, "w") as f:
                json.dump(meta, f, indent=1)
        return meta
