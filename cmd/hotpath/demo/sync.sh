#!/usr/bin/env bash
# Copies the scenario services' recorded artifacts (testdata/scenarios, see
# their READMEs and record.sh) into the embedded demo data, so that
# `hotpath demo goshop` and `hotpath demo pyshop` open real recordings.
# Run from anywhere after re-recording a scenario.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
src=$root/testdata/scenarios
dst=$root/cmd/hotpath/demo/data
for f in cpu.pprof block.pprof mutex.pprof spans.otlp.jsonl.gz postgres.log.gz exec.trace; do
  cp "$src/goshop/$f" "$dst/goshop/$f"
done
for f in postgres.log.gz sqlalchemy.log.gz spans.otlp.jsonl.gz; do
  cp "$src/pyshop/$f" "$dst/pyshop/$f"
done
gzip -9nc "$src/pyshop/asyncio.log" > "$dst/pyshop/asyncio.log.gz"
gzip -9nc "$src/pyshop/profile.folded" > "$dst/pyshop/profile.folded.gz"
du -sh "$dst"/*
