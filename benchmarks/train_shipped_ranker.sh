#!/usr/bin/env bash
# Rebuild the shipped ranker (src/petool/ranker/data/ranker.json) from a fresh clone, offline,
# and compare it with the shipped file byte for byte (docs/ranker.md, "The shipped model").
# Reads only the RapidAPI corpus: no benchmark's test data. Runs under portable numerics
# (petool.ranker.numerics: the same float bits on any x86-64 CPU with AVX2, Intel or AMD).
#   bash benchmarks/train_shipped_ranker.sh [TOOLBENCH_DIR] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(python -m petool.ranker.numerics)"
corpus="${1:-../shared/data/toolbench}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
start=$(date +%s)
petool synth --corpus "$corpus" --out "$out/toolbench-users" --overwrite \
  --modes p --modes r --modes c --train-per-mode 1000 --test-per-mode 200 --candidates 10 \
  --min-history 5 --max-history 100 --environment --seed 0 --json > "$out/synth-users.json"
petool synth situations --corpus "$corpus" --out "$out/situations" --tasks 5000 --seed 0 --overwrite \
  > "$out/synth-situations.log"
petool ranker train --suite demo --suite "$out/toolbench-users" \
  --also-masked "$out/toolbench-users" --suite "$out/situations" --out "$out/model" --seed 0
echo "trained in $(( $(date +%s) - start )) s: $out/model/ranker.json"
if cmp -s "$out/model/ranker.json" src/petool/ranker/data/ranker.json; then
  echo "identical to the shipped model"
else
  echo "DIFFERS from src/petool/ranker/data/ranker.json" >&2
  exit 1
fi
