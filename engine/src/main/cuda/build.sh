#!/usr/bin/env bash
# Compiles every engine/src/main/cuda/*.cu to <out>/<stem>.fatbin with nvcc (sm_80, sm_90 SASS and
# compute_90 PTX, so newer cards JIT it), warnings are errors. Run by Maven (engine/pom.xml, phase
# process-classes) as:
#     build.sh <src-dir> <out-dir: target/classes/cuda> <log-dir: target/cuda> [nvcc]
# nvcc is the first of: the argument (-Dminitron.nvcc=...), $NVCC, /usr/local/cuda/bin/nvcc,
# `nvcc` on the PATH. Without one it prints a warning and exits 0: the runtime then compiles the
# .cu sources (copied next to the fatbins as resources) with NVRTC.
# Files compile in parallel (one job per core); a file whose fatbin is newer than it and than every
# .cuh is skipped. ptxas -v (registers, spills, shared memory) goes to <log-dir>/<stem>.ptxas.txt.
# Exit status: 0, or 1 when any file failed (all are attempted; every failure is printed).
set -uo pipefail

src=${1:?src dir}
out=${2:?out dir}
logs=${3:?log dir}
nvcc_arg=${4:-}

if [ -n "$nvcc_arg" ] && [ ! -x "$nvcc_arg" ]; then
    echo "[ERROR] minitron cuda: -Dminitron.nvcc=$nvcc_arg is not an executable"
    exit 1
fi
nvcc=""
for candidate in "$nvcc_arg" "${NVCC:-}" /usr/local/cuda/bin/nvcc "$(command -v nvcc 2>/dev/null)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then nvcc=$candidate; break; fi
done
if [ -z "$nvcc" ]; then
    echo "[WARNING] minitron cuda: no nvcc (tried -Dminitron.nvcc, \$NVCC, /usr/local/cuda/bin/nvcc, PATH):"
    echo "[WARNING] minitron cuda: no fatbins built; the CUDA backend will compile the kernels with NVRTC at run time."
    exit 0
fi

mkdir -p "$out" "$logs"
flags=(-fatbin -O3 -std=c++17 -Werror all-warnings -Xptxas -v -I "$src"
       -gencode arch=compute_80,code=sm_80
       -gencode arch=compute_90,code=sm_90
       -gencode arch=compute_90,code=compute_90)

# newest header: a change to common.cuh rebuilds everything
newest_header=""
for h in "$src"/*.cuh; do
    [ -e "$h" ] || continue
    if [ -z "$newest_header" ] || [ "$h" -nt "$newest_header" ]; then newest_header=$h; fi
done

compile_one() {  # <file.cu>: prints one line, exit status of nvcc
    local cu=$1 stem fatbin log start rc ms
    stem=$(basename "$cu" .cu)
    fatbin="$out/$stem.fatbin"
    log="$logs/$stem.ptxas.txt"
    if [ -e "$fatbin" ] && [ "$fatbin" -nt "$cu" ] && { [ -z "$newest_header" ] || [ "$fatbin" -nt "$newest_header" ]; }; then
        # up to date: nothing to say (keeps mvn -q quiet)
        return 0
    fi
    start=$(date +%s%N)
    "$nvcc" "${flags[@]}" "$cu" -o "$fatbin.tmp" >"$log" 2>&1
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ $rc -eq 0 ]; then
        mv -f "$fatbin.tmp" "$fatbin"
        local regs spills
        regs=$(grep -o 'Used [0-9]* registers' "$log" | awk '{print $2}' | sort -n | tail -1)
        spills=$(grep -o '[0-9]* bytes spill stores' "$log" | awk '{s+=$1} END {print s+0}')
        echo "[INFO] minitron cuda: $stem.fatbin in ${ms} ms (max ${regs:-?} registers, ${spills} spill bytes)"
    else
        rm -f "$fatbin.tmp" "$fatbin"
        echo "[ERROR] minitron cuda: $stem.cu failed (nvcc exit $rc, ${ms} ms):"
        grep -v '^ptxas info' "$log" | sed 's/^/[ERROR]   /'
    fi
    return $rc
}

# a fatbin whose .cu is gone would otherwise be packaged forever (until mvn clean)
for fb in "$out"/*.fatbin; do
    [ -e "$fb" ] || continue
    [ -e "$src/$(basename "$fb" .fatbin).cu" ] || rm -f "$fb"
done

jobs_max=$(nproc 2>/dev/null || echo 2)
pids=()
names=()
for cu in "$src"/*.cu; do
    [ -e "$cu" ] || continue
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
    compile_one "$cu" &
    pids+=($!)
    names+=("$(basename "$cu")")
done

failed=0
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then failed=$((failed + 1)); fi
done
if [ $failed -ne 0 ]; then
    echo "[ERROR] minitron cuda: $failed kernel file(s) failed to compile with $nvcc"
    exit 1
fi
exit 0
