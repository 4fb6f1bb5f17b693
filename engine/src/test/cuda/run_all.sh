#!/usr/bin/env bash
# Builds and runs every engine/src/test/cuda/*_test.cu (and *_bench.cu, informational) on a GPU host.
#     bash engine/src/test/cuda/run_all.sh [--compile-only] [only-these-stems...]
# (--compile-only: just check that they build, e.g. on a machine with nvcc and no GPU)
# Compiles in parallel with nvcc -O2 -std=c++17 -arch=sm_90 (override: NVCC, CUDA_ARCH), then runs
# each program, never stopping at a failure. Prints each program's PASS/FAIL lines, one RESULT line
# per program and a final TOTAL; exit status = total number of failures (capped at 255).
set -uo pipefail
cd "$(dirname "$0")/../../../.."
nvcc=${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}
arch=${CUDA_ARCH:-sm_90}
bin=${TEST_BIN_DIR:-/tmp/minitron-cuda-tests}
mkdir -p "$bin"
dir=engine/src/test/cuda

compile_only=0
if [ "${1:-}" = "--compile-only" ]; then compile_only=1; shift; fi
sources=()
if [ $# -gt 0 ]; then
    for s in "$@"; do sources+=("$dir/$s.cu"); done
else
    for f in "$dir"/*_test.cu "$dir"/*_bench.cu; do [ -e "$f" ] && sources+=("$f"); done
fi

echo "== nvcc: $("$nvcc" --version | tail -1)"
[ $compile_only = 1 ] || nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | sed 's/^/== gpu: /'

pids=()
for f in "${sources[@]}"; do
    stem=$(basename "$f" .cu)
    ( start=$(date +%s)
      if "$nvcc" -O2 -std=c++17 -arch="$arch" -I engine/src/main/cuda "$f" -o "$bin/$stem" >"$bin/$stem.build.txt" 2>&1; then
          echo "== built $stem in $(( $(date +%s) - start )) s"
      else
          echo "FAIL build $stem:"; sed 's/^/    /' "$bin/$stem.build.txt"; rm -f "$bin/$stem"
      fi ) &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

total=0
if [ $compile_only = 1 ]; then
    for f in "${sources[@]}"; do [ -x "$bin/$(basename "$f" .cu)" ] || total=$((total + 1)); done
    echo "TOTAL build failures: $total"
    exit $total
fi
for f in "${sources[@]}"; do
    stem=$(basename "$f" .cu)
    if [ ! -x "$bin/$stem" ]; then
        echo "RESULT $stem: not built (1 failure)"
        total=$((total + 1))
        continue
    fi
    echo "== run $stem"
    timeout 300 "$bin/$stem"
    rc=$?
    echo "RESULT $stem: exit $rc"
    total=$((total + rc))
done
echo "TOTAL failures: $total"
[ $total -gt 255 ] && total=255
exit $total
