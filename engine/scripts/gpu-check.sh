#!/usr/bin/env bash
# Hugging Face reference fixtures for the CPU backend, in two halves.
#
#   engine/scripts/gpu-check.sh prepare
#       here (needs Java 25 and the Maven cache): writes the generated checkpoints the fixtures are
#       for into .device/hf/ (git-ignored; ~20 MB), safetensors and pytorch_model.bin side by side:
#       NAME/ stores bf16 (for the bfloat16 run), NAME-f32/ the same values as f32 (for the float32
#       run, so that neither HF nor our backend rounds anything to bf16 there).
#   then, through the device tool, with carry [".device"] and a timeout of ~300 s:
#       bash engine/scripts/gpu-check.sh device
#       on the GPU host (transformers 5.x, PyTorch 2.x; no Java needed): probes the machine and runs
#       engine/scripts/hf_reference.py: float32 on NAME-f32/, bfloat16 on NAME/, writing into $OUT/hf/.
#   finally, here: copy the returned files_at/hf/*.json and *.logits.f32 into
#       engine/src/test/resources/hf/ and run  ./mvnw -o -q -pl engine test -Dtest=HfReferenceTest
#
# Every step prints what it could not do instead of stopping, so one call gives everything.
set -uo pipefail
cd "$(dirname "$0")/../.."
CHECKPOINTS="tiny:7 head128:13"

prepare() {
    set -e
    ./mvnw -o -q -pl engine compile
    local cp java
    cp="engine/target/classes:$(./mvnw -o -q -pl engine dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
    java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
    [ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ] && java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
    rm -rf .device/hf && mkdir -p .device/hf
    for spec in $CHECKPOINTS; do
        local preset=${spec%%:*} seed=${spec##*:} name=${spec%%:*}-seed${spec##*:}
        for dtype in bf16 f32; do
            local dir=".device/hf/$name" main=dev.minitron.engine.tiny.TinyCheckpointMain
            [ "$dtype" = f32 ] && dir="$dir-f32"
            "$java" -cp "$cp" $main --out "$dir" --preset "$preset" --seed "$seed" --dtype "$dtype"
            "$java" -cp "$cp" $main --out "$dir-bin" --preset "$preset" --seed "$seed" --dtype "$dtype" --format bin
            mv "$dir-bin/pytorch_model.bin" "$dir/" && rm -rf "$dir-bin"
        done
    done
    cp engine/scripts/hf_reference.py .device/hf/
    du -sh .device/hf
}

device() {
    local out="${OUT:-/tmp/gpu-check-out}"
    mkdir -p "$out/hf"
    {
        echo "== probe $(date -u +%FT%TZ)"
        nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
        python3 --version 2>&1
        python3 -c 'import torch, transformers, safetensors; print("torch", torch.__version__, "cuda", torch.version.cuda,
 "available", torch.cuda.is_available()); print("transformers", transformers.__version__); print("safetensors", safetensors.__version__)' 2>&1
        which java 2>&1 || echo "no java on PATH"; ls /usr/lib/jvm 2>&1 | head
    } | tee "$out/probe.txt"
    if [ ! -d .device/hf ]; then
        echo "MISSING .device/hf: run 'engine/scripts/gpu-check.sh prepare' here first and carry .device" | tee -a "$out/probe.txt"
        return 0
    fi
    for spec in $CHECKPOINTS; do
        local name=${spec%%:*}-seed${spec##*:}
        for run in "float32:$name-f32" "bfloat16:$name"; do
            local dtype=${run%%:*} dir=.device/hf/${run#*:}
            echo "== $name $dtype ($dir)"
            if ! python3 engine/scripts/hf_reference.py "$dir" --name "$name" --dtypes "$dtype" --out "$out/hf" 2>&1 \
                    | tee "$out/hf/$name-$dtype.log"; then
                echo "FAILED: hf_reference.py on $name $dtype (see $name-$dtype.log)"
            fi
        done
    done
    ls -la "$out/hf"
}

case "${1:-}" in
    prepare) prepare ;;
    device) device ;;
    *) echo "usage: $0 prepare|device" >&2; exit 2 ;;
esac
