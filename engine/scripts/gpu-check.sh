#!/usr/bin/env bash
# Everything the CUDA backend needs checked on the lent GPU, in ONE device call, in two halves.
#
#   engine/scripts/gpu-check.sh prepare          here (Java 25 + the Maven cache; ~1-2 minutes)
#       builds the engine, and fills the git-ignored .device/ (~50 MB, carried to the GPU host):
#         hf.txz       hf/: tiny checkpoints for the Hugging Face reference fixtures (bf16 and f32; each as
#                      model.safetensors and pytorch_model.bin) + hf_reference.py
#         m8b-config/  Minitron-8B's config.json + tokenizer (no weights: hf_bench.py makes them there)
#         lib/         engine.jar, engine-tests.jar, deps/*.jar (linux-x86_64 natives only),
#                      junit-platform-console-standalone.jar
#         jre.txz      a jlinked Java 25 runtime; probe.sh (from /work/shared/device)
#   then, through the device tool: command "bash engine/scripts/gpu-check.sh device",
#       carry [".device"], timeout_s 540 (the script keeps itself under GPU_CHECK_BUDGET_S=420 s).
#
# The device half runs stages, each under `timeout` and a share of the budget, each logging to
# $WORK/logs/STAGE.log and adding one line to $OUT/summary.txt; a failed stage never stops the next:
#   probe         .device/probe.sh (GPU, Java, toolkit, libraries, copy bandwidth)  -> $OUT/probe.txt
#   env           finds libcudart/libcublas/libcublasLt/libnvrtc .so.13, sets LD_LIBRARY_PATH, unpacks the JRE
#   hf_fixtures   hf_reference.py on the tiny checkpoints (4 runs in parallel)        -> $OUT/hf.tgz
#   cuda_tests    nvcc + run every engine/src/test/cuda/*_test.cu (alongside hf_fixtures)
#   java_tests    CudaJniCheck, the JUnit tests of dev.minitron.engine.backend.cuda with -Dminitron.gpu=true,
#                 HfReferenceTest (CPU backend) against the fixtures just made
#   hf_bench      hf_bench.py: transformers' baseline on Minitron-8B shapes, saves it to $GPU_CHECK_MODEL_DIR
#                                                                                    -> $OUT/hf_bench.json
#   engine_bench  GpuBenchmark --device cuda on that checkpoint                       -> $OUT/engine_bench.json
#   pack          every log and result                                                -> $OUT/logs.tgz
# $OUT gets at most 6 files (the device tool returns 8). The summary is printed last.
#
# Without a GPU (here) `OUT=/tmp/devout bash engine/scripts/gpu-check.sh device` is a dry run: each
# stage says why it was skipped or failed, and the summary still prints.
set -uo pipefail
SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")/../.."
CHECKPOINTS="tiny:7 head128:13"
CONSOLE_VERSION=6.0.3          # = the project's junit-jupiter version (JUnit 6 versions platform and jupiter together)
SHARED_DEVICE=${SHARED_DEVICE:-/work/shared/device}
# JavaCPP caps the native memory it tracks at -Xmx unless told otherwise: 0 = no cap (the 8B's staging buffers)
JVM_FLAGS="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dorg.bytedeco.javacpp.maxBytes=0 -Dorg.bytedeco.javacpp.maxPhysicalBytes=0"

# ---------------------------------------------------------------------------------------------- here

prepare() {
    set -e
    export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
    [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
    local java="$JAVA_HOME/bin/java" cp main=dev.minitron.engine.tiny.TinyCheckpointMain
    echo "== build (package, tests skipped)"
    ./mvnw -o -q -pl engine -am package -DskipTests
    cp="engine/target/classes:$(./mvnw -o -q -pl engine dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"

    echo "== tiny checkpoints for the HF fixtures"
    rm -rf .device/hf .device/hf.txz && mkdir -p .device/hf
    for spec in $CHECKPOINTS; do
        local preset=${spec%%:*} seed=${spec##*:} name=${spec%%:*}-seed${spec##*:}
        for dtype in bf16 f32; do
            local dir=".device/hf/$name"
            [ "$dtype" = f32 ] && dir="$dir-f32"
            "$java" -cp "$cp" $main --out "$dir" --preset "$preset" --seed "$seed" --dtype "$dtype"
            "$java" -cp "$cp" $main --out "$dir-bin" --preset "$preset" --seed "$seed" --dtype "$dtype" --format bin
            mv "$dir-bin/pytorch_model.bin" "$dir/" && rm -rf "$dir-bin"
        done
    done
    cp engine/scripts/hf_reference.py .device/hf/
    # xz finds each .bin's bytes again in its .safetensors twin and the zero low halves of f32: 20 MB -> 5 MB
    tar cJf .device/hf.txz -C .device hf && rm -rf .device/hf

    echo "== Minitron-8B config + tokenizer (weights are made on the GPU host)"
    rm -rf .device/m8b-config
    "$java" -cp "$cp" $main --out .device/m8b-config --preset minitron-8b --config-only

    echo "== jars"
    rm -rf .device/lib && mkdir -p .device/lib/deps
    local jar
    jar=$(ls engine/target/*.jar | grep -v -e sources -e javadoc -e tests | head -1)
    cp "$jar" .device/lib/engine.jar
    "$JAVA_HOME/bin/jar" cf .device/lib/engine-tests.jar -C engine/target/test-classes .
    ./mvnw -o -q -pl engine dependency:copy-dependencies -DincludeScope=test \
        -DoutputDirectory="$PWD/.device/lib/deps"
    # natives for other platforms (none today, but a transitive classifier could appear) and the
    # JUnit jars the console launcher already holds (two copies of the platform on one path is trouble)
    find .device/lib/deps -name '*.jar' \( -name '*-linux-arm64*' -o -name '*-linux-ppc64le*' -o -name '*-macosx-*' \
        -o -name '*-windows-*' -o -name '*-android-*' -o -name '*-ios-*' -o -name '*-redist*' \
        -o -name 'junit-*' -o -name 'opentest4j-*' -o -name 'apiguardian-*' \) -print -delete
    local console=~/.m2/repository/org/junit/platform/junit-platform-console-standalone/$CONSOLE_VERSION/junit-platform-console-standalone-$CONSOLE_VERSION.jar
    [ -f "$console" ] || ./mvnw -q dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:$CONSOLE_VERSION
    cp "$console" .device/lib/junit-platform-console-standalone.jar

    echo "== JRE"
    rm -rf .device/jre.txz .device/jre
    # pack-jre writes .git/info/exclude, which fails in a git worktree (.git is a file there): then jlink here
    if ! { [ -x "$SHARED_DEVICE/pack-jre" ] && "$SHARED_DEVICE/pack-jre"; } || [ ! -s .device/jre.txz ]; then
        echo "pack-jre unavailable or failed here: running its jlink directly"
        local tmp
        tmp=$(mktemp -d)
        "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.naming,java.xml,java.net.http,jdk.unsupported,jdk.incubator.vector,jdk.crypto.ec,jdk.zipfs \
            --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$tmp/jre"
        tar cJf .device/jre.txz -C "$tmp" jre
        rm -rf "$tmp"
    fi
    if [ -f "$SHARED_DEVICE/probe.sh" ]; then cp "$SHARED_DEVICE/probe.sh" .device/; else echo "WARNING: no $SHARED_DEVICE/probe.sh"; fi
    git check-ignore -q .device/x || echo "WARNING: .device/ is not git-ignored: it would travel twice"

    echo "== sizes"
    du -sh .device/* | sort -h
    local dev repo
    dev=$(du -sb .device | cut -f1)
    repo=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)
    printf '.device %.1f MiB + repository %.1f MiB = %.1f MiB (the device tool carries at most 64 MiB)\n' \
        "$(echo "$dev/1048576" | bc -l)" "$(echo "$repo/1048576" | bc -l)" "$(echo "($dev+$repo)/1048576" | bc -l)"
    [ $((dev + repo)) -lt $((60 * 1048576)) ] || { echo "TOO LARGE: over 60 MiB"; return 1; }
}

# ---------------------------------------------------------------------------------------- there

WORK=${GPU_CHECK_WORK:-/tmp/gpu-check}
MODEL_DIR=${GPU_CHECK_MODEL_DIR:-/tmp/m8b}

detail() { echo "$*" >> "$WORK/detail.$STAGE"; }                  # lines for the summary
envsh() { [ -f "$WORK/env.sh" ] && . "$WORK/env.sh"; return 0; }     # what stage env found

stage_probe() {
    [ -f .device/probe.sh ] || { detail "no .device/probe.sh (prepare copies it)"; exit 3; }
    mkdir -p "$WORK/probe"
    OUT="$WORK/probe" bash .device/probe.sh
    cp "$WORK/probe/probe.txt" "$OUT_DIR/probe.txt"
    local gpu
    gpu=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
    detail "gpu: ${gpu:-none (nvidia-smi failed)}"
    detail "$(grep -m1 'device-to-device' "$WORK/probe/probe.txt" || echo 'copy bandwidth: not measured')"
    [ -n "$gpu" ]
}

# The directory holding lib $1, or nothing: ldconfig, the toolkit, then PyTorch's pip nvidia-* wheels.
find_lib() {
    local name=$1 d
    d=$(ldconfig -p 2>/dev/null | awk -v n="$name" '$1 == n { print $NF; exit }')
    [ -n "$d" ] && { dirname "$d"; return; }
    for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-13*/lib64 $PY_NVIDIA_DIRS; do
        [ -e "$d/$name" ] && { echo "$d"; return; }
    done
}

stage_env() {
    PY_NVIDIA_DIRS=$(python3 - 2>/dev/null <<'PY'
import glob, os, site, sys
roots = set()
try:
    import nvidia
    roots.update(nvidia.__path__)
except Exception:
    pass
for s in site.getsitepackages() + [site.getusersitepackages()]:
    roots.add(os.path.join(s, "nvidia"))
for r in sorted(roots):
    for d in sorted(glob.glob(os.path.join(r, "*", "lib"))):
        print(d)
PY
)
    local dirs="" missing="" name d ok=0
    for name in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libnvrtc.so.13; do
        d=$(find_lib "$name")
        if [ -n "$d" ]; then
            detail "$name: $d"
            case ":$dirs:" in *":$d:"*) ;; *) dirs="${dirs:+$dirs:}$d" ;; esac
        else
            missing="$missing $name"
        fi
    done
    [ -n "$missing" ] && { detail "NOT FOUND:$missing"; ok=1; }
    [ -n "$dirs" ] && echo "export LD_LIBRARY_PATH=\"$dirs\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\"" >> "$WORK/env.sh"
    if [ -f .device/jre.txz ]; then
        # into the work dir, not .device: an unpacked JRE there would travel (50 MB) on the next call
        rm -rf "$WORK/jre" && tar xJf .device/jre.txz -C "$WORK" \
            && echo "export JAVA_HOME=$WORK/jre PATH=$WORK/jre/bin:\$PATH" >> "$WORK/env.sh"
    else
        detail "no .device/jre.txz: using the host's java if any"
    fi
    envsh
    detail "java: $(java -version 2>&1 | head -1 || echo none)"
    java -version >/dev/null 2>&1 || ok=1
    cat "$WORK/env.sh"
    return $ok
}

stage_hf_fixtures() {
    [ -f .device/hf.txz ] || { detail "no .device/hf.txz: run prepare here first and carry .device"; exit 3; }
    python3 -c 'import transformers' 2>/dev/null || { detail "python3 has no transformers"; exit 3; }
    mkdir -p "$WORK/hf" "$WORK/ckpt" && tar xJf .device/hf.txz -C "$WORK/ckpt" || { detail "cannot unpack hf.txz"; exit 1; }
    local spec name run pids=() fails=0 n=0
    for spec in $CHECKPOINTS; do
        name=${spec%%:*}-seed${spec##*:}
        for run in "float32:$name-f32" "bfloat16:$name"; do
            python3 engine/scripts/hf_reference.py "$WORK/ckpt/hf/${run#*:}" --name "$name" --dtypes "${run%%:*}" \
                --out "$WORK/hf" > "$WORK/hf/$name-${run%%:*}.log" 2>&1 &
            pids+=("$!:$name-${run%%:*}")
        done
    done
    for p in "${pids[@]}"; do
        n=$((n + 1))
        if wait "${p%%:*}"; then
            detail "ok   ${p#*:} ($(grep -m1 'rotary width' "$WORK/hf/${p#*:}.log" | sed 's/.*: //'))"
        else
            fails=$((fails + 1)); detail "FAIL ${p#*:}: $(tail -1 "$WORK/hf/${p#*:}.log")"
        fi
    done
    tar czf "$OUT_DIR/hf.tgz" -C "$WORK" hf
    sed -i "1i $((n - fails))/$n fixtures written to hf.tgz" "$WORK/detail.$STAGE"
    [ "$fails" -eq 0 ]
}

stage_cuda_tests() {
    local nvcc tests=(engine/src/test/cuda/*_test.cu) f stem fails=0 pass=0 failed=0
    [ -e "${tests[0]}" ] || { detail "no engine/src/test/cuda/*_test.cu yet"; exit 3; }
    nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
    [ -x "$nvcc" ] || { detail "no nvcc"; exit 3; }
    mkdir -p "$WORK/cuda"
    for f in "${tests[@]}"; do      # compile in parallel: 16 cores, one test per core
        stem=$(basename "$f" .cu)
        ( "$nvcc" -O2 -std=c++17 -arch=sm_90 -I engine/src/main/cuda "$f" -o "$WORK/cuda/$stem" \
            > "$WORK/cuda/$stem.build.log" 2>&1; echo $? > "$WORK/cuda/$stem.build.rc" ) &
    done
    wait
    for f in "${tests[@]}"; do
        stem=$(basename "$f" .cu)
        if [ "$(cat "$WORK/cuda/$stem.build.rc")" != 0 ]; then
            fails=$((fails + 1)); detail "BUILD FAIL $stem: $(grep -m1 -i error "$WORK/cuda/$stem.build.log")"
            continue
        fi
        timeout -k 5 60 "$WORK/cuda/$stem" > "$WORK/cuda/$stem.run.log" 2>&1
        local rc=$? p q
        p=$(grep -c '^PASS' "$WORK/cuda/$stem.run.log"); q=$(grep -c '^FAIL' "$WORK/cuda/$stem.run.log")
        pass=$((pass + p)); failed=$((failed + q))
        [ "$rc" -ne 0 ] && fails=$((fails + 1))
        detail "$([ "$rc" -eq 0 ] && echo 'ok  ' || echo 'FAIL') $stem: $p PASS, $q FAIL, exit $rc"
        grep '^FAIL' "$WORK/cuda/$stem.run.log" | head -5 | sed 's/^/       /' >> "$WORK/detail.$STAGE"
        cat "$WORK/cuda/$stem.run.log"
    done
    sed -i "1i ${#tests[@]} harnesses: $pass PASS lines, $failed FAIL lines, $fails harness(es) failing" "$WORK/detail.$STAGE"
    [ "$fails" -eq 0 ]
}

# Counts from the console launcher's summary box ("[  5 tests successful  ]").
junit_counts() {
    awk '/tests (found|successful|failed|skipped|aborted)/ { gsub(/[\[\]]/, ""); printf "%s %s, ", $1, $3 }' "$1" | sed 's/, $//'
}

stage_java_tests() {
    envsh
    java -version >/dev/null 2>&1 || { detail "no java (stage env failed)"; exit 3; }
    [ -f .device/lib/engine.jar ] || { detail "no .device/lib (prepare)"; exit 3; }
    local cp console=.device/lib/junit-platform-console-standalone.jar rc=0
    cp=$(ls .device/lib/engine.jar .device/lib/engine-tests.jar .device/lib/deps/*.jar | paste -sd:)
    echo "== CudaJniCheck"
    java $JVM_FLAGS -cp "$cp" dev.minitron.engine.devcheck.CudaJniCheck 2>&1 | tee "$WORK/jni.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    grep -E '^(OK|FAIL)' "$WORK/jni.log" | while read -r l; do detail "$l"; done
    echo "== JUnit: dev.minitron.engine.backend.cuda (-Dminitron.gpu=true)"
    java -Dminitron.gpu=true $JVM_FLAGS -jar "$console" execute --class-path "$cp" \
        --select-package dev.minitron.engine.backend.cuda --include-classname '.*' --details=tree \
        --disable-banner --reports-dir "$WORK/junit-cuda" 2>&1 | tee "$WORK/junit-cuda.log"
    [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
    detail "cuda tests: $(junit_counts "$WORK/junit-cuda.log")"
    grep -h '^GPUCHECK' "$WORK/junit-cuda.log" | while read -r l; do detail "$l"; done
    grep -E '✘|MethodSource|=> ' "$WORK/junit-cuda.log" | head -30 | while read -r l; do detail "$l"; done
    if [ -d "$WORK/hf" ] && ls "$WORK"/hf/*.json >/dev/null 2>&1; then
        echo "== JUnit: HfReferenceTest against the fixtures just made"
        java -Dminitron.hfFixtures="$WORK/hf" $JVM_FLAGS -jar "$console" execute --class-path "$cp" \
            --select-class dev.minitron.engine.reference.HfReferenceTest --details=tree --disable-banner \
            --reports-dir "$WORK/junit-hf" 2>&1 | tee "$WORK/junit-hf.log"
        [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
        detail "HfReferenceTest (cpu backend): $(junit_counts "$WORK/junit-hf.log")"
        echo "== JUnit: HfReferenceTest, CUDA backend"
        java -Dminitron.hfFixtures="$WORK/hf" -Dminitron.test.device=cuda $JVM_FLAGS -jar "$console" execute \
            --class-path "$cp" --select-class dev.minitron.engine.reference.HfReferenceTest --details=tree \
            --disable-banner --reports-dir "$WORK/junit-hf-cuda" 2>&1 | tee "$WORK/junit-hf-cuda.log"
        [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
        detail "HfReferenceTest (cuda backend): $(junit_counts "$WORK/junit-hf-cuda.log")"
        grep -h '^GPUCHECK' "$WORK/junit-hf.log" "$WORK/junit-hf-cuda.log" | while read -r l; do detail "$l"; done
    else
        detail "HfReferenceTest: not run (no fixtures from hf_fixtures)"
    fi
    return $rc
}

# GPU_CHECK_BENCH_CONFIG, GPU_CHECK_HF_BENCH_ARGS, GPU_CHECK_ENGINE_BENCH_ARGS: for a plumbing run without a
# GPU (README.md): another config dir, and flags appended to the benchmarks' own (the last one wins).
stage_hf_bench() {
    local config=${GPU_CHECK_BENCH_CONFIG:-.device/m8b-config}
    [ -f "$config/config.json" ] || { detail "no $config/config.json (prepare)"; exit 3; }
    python3 -c 'import transformers' 2>/dev/null || { detail "python3 has no transformers"; exit 3; }
    if [ -z "${GPU_CHECK_HF_BENCH_ARGS:-}" ]; then
        python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null || { detail "torch sees no CUDA device"; exit 3; }
    fi
    PYTHONUNBUFFERED=1 python3 engine/scripts/hf_bench.py --config "$config" --save "$MODEL_DIR" \
        --json "$WORK/hf_bench.json" --budget-s $((STAGE_LIMIT - 10)) ${GPU_CHECK_HF_BENCH_ARGS:-}
    local rc=$?
    cp "$WORK/hf_bench.json" "$OUT_DIR/" 2>/dev/null
    bench_lines "$WORK/hf_bench.json"
    return $rc
}

# One summary line per result row of a benchmark JSON (hf_bench.py and GpuBenchmark write the same rows).
bench_lines() {
    [ -f "$1" ] || { detail "no $(basename "$1")"; return; }
    python3 - "$1" >> "$WORK/detail.$STAGE" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    v = "-" if r["value"] is None else f"{r['value']:.2f}"
    where = f"in={r['promptTokens']} out={r['outputTokens']} c={r['concurrency']}" if r["outputTokens"] else ""
    print(f"{r['metric']:24s} {where:26s} {v:>10s} {r['unit']:6s} {r['note'] or ''}"[:160])
PY
}

stage_engine_bench() {
    envsh
    java -version >/dev/null 2>&1 || { detail "no java (stage env failed)"; exit 3; }
    [ -f "$MODEL_DIR/config.json" ] || { detail "no checkpoint in $MODEL_DIR (hf_bench saves it)"; exit 3; }
    local cp
    cp=$(ls .device/lib/engine.jar .device/lib/deps/*.jar | paste -sd:)
    java $JVM_FLAGS -Xmx16g -cp "$cp" dev.minitron.engine.bench.GpuBenchmark --model "$MODEL_DIR" --device cuda \
        --shapes 128:128,1000:1000 --concurrency "1,64,256;32,64" --decode-tokens 128 --ttft-prompt 1000 \
        --timeout-s $((STAGE_LIMIT - 15)) --json "$WORK/engine_bench.json" ${GPU_CHECK_ENGINE_BENCH_ARGS:-}
    local rc=$?
    cp "$WORK/engine_bench.json" "$OUT_DIR/" 2>/dev/null
    bench_lines "$WORK/engine_bench.json"
    return $rc
}

# Runs stage $1 with at most $2 seconds (less if the budget is nearly spent), records its status.
run_stage() {
    local name=$1 want=$2 now left limit t0 rc status
    now=$(date +%s); left=$((DEADLINE - now))
    limit=$(( want < left ? want : left ))
    rm -f "$WORK/detail.$name"
    case " ${GPU_CHECK_STAGES:-$STAGES} " in
        *" $name "*) ;;
        *) echo "SKIPPED: not in GPU_CHECK_STAGES" > "$WORK/detail.$name"
           printf '%-13s %-8s %5s  %s\n' "$name" SKIPPED "0s" "" > "$WORK/result.$name"
           return ;;
    esac
    if [ "$limit" -lt 10 ]; then
        echo "SKIPPED: no time left in the ${BUDGET}s budget" > "$WORK/detail.$name"
        printf '%-13s %-8s %5s  %s\n' "$name" SKIPPED "0s" "" > "$WORK/result.$name"
        return
    fi
    echo "[gpu-check] $(date -u +%T) stage $name (limit ${limit}s)"
    t0=$(date +%s)
    STAGE=$name STAGE_LIMIT=$limit OUT_DIR=$OUT_DIR WORK=$WORK timeout -k 10 "$limit" bash "$SELF" _stage "$name" \
        > "$WORK/logs/$name.log" 2>&1
    rc=$?
    case $rc in
        0) status=PASS ;;
        3) status=SKIPPED ;;
        124|137) status=TIMEOUT; echo "killed after ${limit}s (its share of the budget)" >> "$WORK/detail.$name" ;;
        *) status="FAIL($rc)" ;;
    esac
    printf '%-13s %-8s %4ss  of %ss\n' "$name" "$status" "$(( $(date +%s) - t0 ))" "$limit" > "$WORK/result.$name"
    echo "[gpu-check] $(date -u +%T) stage $name: $status; last lines of logs/$name.log:"
    tail -n 25 "$WORK/logs/$name.log" | sed 's/^/    /'
}

STAGES="probe env hf_fixtures cuda_tests java_tests hf_bench engine_bench"

device() {
    OUT_DIR=${OUT:-/tmp/gpu-check-out}
    BUDGET=${GPU_CHECK_BUDGET_S:-420}
    local start; start=$(date +%s)
    DEADLINE=$((start + BUDGET - 15))        # 15 s kept for packing and the summary
    mkdir -p "$OUT_DIR" && rm -rf "$WORK" && mkdir -p "$WORK/logs" && : > "$WORK/env.sh"
    echo "[gpu-check] device mode: budget ${BUDGET}s, work dir $WORK, results in $OUT_DIR"
    run_stage probe 60
    run_stage env 45
    run_stage hf_fixtures 120 &              # transformers on tiny models and nvcc builds overlap well
    run_stage cuda_tests 120
    wait
    run_stage java_tests ${GPU_CHECK_JAVA_TESTS_S:-150}
    run_stage hf_bench ${GPU_CHECK_HF_BENCH_S:-170}
    run_stage engine_bench ${GPU_CHECK_ENGINE_BENCH_S:-120}
    # pack
    tar czf "$OUT_DIR/logs.tgz" -C "$WORK" --exclude='cuda/*_test' --exclude='hf/*.logits.f32' --exclude=./ckpt --exclude=./jre . 2>/dev/null \
        || echo "could not pack logs" >> "$WORK/detail.engine_bench"
    {
        echo "gpu-check device summary $(date -u +%FT%TZ), $(( $(date +%s) - start ))s of a ${BUDGET}s budget"
        echo "host: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1 || true)"
        echo
        printf '%-13s %-8s %5s\n' stage status time
        local s
        for s in $STAGES; do
            if [ -f "$WORK/result.$s" ]; then cat "$WORK/result.$s"; else printf '%-13s %-8s\n' "$s" "NOT RUN"; fi
            [ -f "$WORK/detail.$s" ] && sed 's/^/      /' "$WORK/detail.$s"
        done
        echo
        echo "files in \$OUT: $(cd "$OUT_DIR" && ls | paste -sd' ')"
    } > "$OUT_DIR/summary.txt"
    echo; echo "================================ SUMMARY ================================"
    cat "$OUT_DIR/summary.txt"
}

case "${1:-}" in
    prepare) prepare ;;
    device) device ;;
    _stage) set +e; "stage_$2" ;;
    *) echo "usage: $0 prepare|device" >&2; exit 2 ;;
esac
