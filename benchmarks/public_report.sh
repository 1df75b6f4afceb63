#!/usr/bin/env bash
# One report of the three public suites (demo, PEToolBench, ToolSpectrum) with the ranker, random
# and oracle backends: nine ordinary run directories, then `petool report` over them.
#
#   benchmarks/public_report.sh [DATA_DIR] [OUT_DIR]
#
# DATA_DIR holds petoolbench/ and toolspectrum/ as `petool data fetch` writes them (default
# ../shared/data); it becomes PETOOL_DATA_DIR, so both the runs and the report's task browser find
# each suite's data. OUT_DIR (default runs/public) gets the run directories and report.html. Every
# run is started with --resume: a killed script, run again, finishes what is missing and asks
# nothing twice; a finished run is read back, not run again. RANKER (default: ranker, the
# package's default ranker) names the ranker's backend spec, e.g. RANKER=ranker:half_life=3.
set -euo pipefail

data=${1:-../shared/data}
out=${2:-runs/public}
PETOOL_DATA_DIR=$(realpath "$data")
export PETOOL_DATA_DIR
runs=()
for suite in demo petoolbench toolspectrum; do
  for backend in "${RANKER:-ranker}" random oracle; do
    dir="$out/$suite-${backend//:/-}"
    echo "== $suite · $backend -> $dir" >&2
    petool eval --suite "$suite" --backend "$backend" --out "$dir" --resume >/dev/null
    runs+=("$dir")
  done
done
petool report "${runs[@]}" --out "$out/report.html" --overwrite
