#!/usr/bin/env python3
"""Hugging Face transformers baseline for the GPU benchmark (runs on the GPU host, no network).

    python3 hf_bench.py --config DIR_WITH_CONFIG_JSON --json OUT.json [--save /tmp/m8b] [--budget-s 150]

Builds transformers' NemotronForCausalLM from our generated config.json (Minitron-8B's exact
shapes: TinyCheckpointMain --preset minitron-8b --config-only) with random bf16 weights created on
the GPU (no download, seconds), then measures, with CUDA-synchronised host timers after a warm-up:

  copy_tb_s            device-to-device copy bandwidth, bytes read + written (the memory roofline)
  decode_ms_per_token  batch 1: (t(N new tokens) - t(1 new token)) / (N - 1), so TTFT is excluded
  ttft_ms              a --ttft-prompt-token prompt, 1 new token, median of --repeats
  throughput           output tokens/s of generate() on a batch of B equal-length random prompts,
                       each producing exactly OUT tokens (min_new_tokens = max_new_tokens: EOS
                       cannot stop it), for each IN:OUT of --shapes and B of --batches

generate() is greedy with use_cache=True (transformers' default dynamic KV cache and attention
implementation: the out-of-the-box baseline, not a tuned one). With --save DIR it then writes the
weights for our Java engine (save_pretrained, safetensors shards + model.safetensors.index.json) and
copies our config.json and tokenizer files over HF's, since our loader reads our keys (transformers
5 may write rope_parameters / dtype where we read rope_theta / torch_dtype). Saving comes before the
throughput runs, so a run cut short still leaves a checkpoint. Results are rewritten to --json after
every measurement; throughput runs that would overrun --budget-s are skipped and say so.

On a machine without transformers, PYTHONPATH=engine/scripts/standin runs the same code against the
stand-in (see README.md) on the CPU, for plumbing only.
"""
import argparse
import contextlib
import glob
import json
import os
import shutil
import statistics
import sys
import time

import torch

T0 = time.perf_counter()


def log(msg):
    print(f"[hf_bench {time.perf_counter() - T0:6.1f}s] {msg}", flush=True)


def sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def timed(device, fn):
    """Seconds fn() took, with the device drained before and after."""
    sync(device)
    t = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t


def copy_bandwidth(device, mib, iters=20):
    """Device-to-device copy: bytes read + written per second."""
    x = torch.empty(mib * 1024 * 1024 // 2, dtype=torch.bfloat16, device=device).normal_()
    y = torch.empty_like(x)
    for _ in range(3):
        y.copy_(x)
    dt = timed(device, lambda: [y.copy_(x) for _ in range(iters)]) / iters
    del x, y
    return 2 * mib * 1024 * 1024 / dt


def build(config_dir, dtype, device):
    """transformers' model with random weights made directly on the device in dtype."""
    from transformers import NemotronConfig, NemotronForCausalLM
    config = NemotronConfig.from_pretrained(config_dir)
    on_device = torch.device(device) if hasattr(torch.device, "__enter__") else contextlib.nullcontext()
    previous = torch.get_default_dtype()
    try:
        torch.set_default_dtype(dtype)
    except (TypeError, RuntimeError) as e:  # an older torch only takes float32/float64 here
        log(f"set_default_dtype({dtype}) refused ({e}): building in {previous}, then converting")
    try:
        with on_device:
            model = NemotronForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    model = model.to(device=device, dtype=dtype).eval()
    return config, model


def generate(model, ids, new_tokens, pad):
    """Greedy, KV-cached, exactly new_tokens tokens."""
    with torch.no_grad():
        return model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=new_tokens,
                              min_new_tokens=new_tokens, do_sample=False, use_cache=True, pad_token_id=pad)


def prompt(batch, length, vocab, device, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(4, vocab, (batch, length), generator=g).to(device)


class Results:
    """The JSON document, rewritten after every measurement so a killed run keeps what it had."""

    def __init__(self, path, meta):
        self.path = path
        self.doc = dict(meta, results=[])

    def add(self, metric, value, unit, prompt_tokens=0, output_tokens=0, batch=1, note=""):
        row = dict(metric=metric, value=value, unit=unit, promptTokens=prompt_tokens, outputTokens=output_tokens,
                   concurrency=batch, note=note)
        self.doc["results"].append(row)
        shown = "-" if value is None else f"{value:.3f}"
        log(f"{metric} in={prompt_tokens} out={output_tokens} batch={batch}: {shown} {unit} {note}")
        if self.path:
            with open(self.path, "w") as f:
                json.dump(self.doc, f, indent=1)
                f.write("\n")

    def table(self):
        lines = ["| metric | prompt | output | batch | value | unit | note |", "|---|---|---|---|---|---|---|"]
        for r in self.doc["results"]:
            v = "—" if r["value"] is None else f"{r['value']:.2f}"
            lines.append(f"| {r['metric']} | {r['promptTokens']} | {r['outputTokens']} | {r['concurrency']} | {v} "
                         f"| {r['unit']} | {r['note']} |")
        return "\n".join(lines)


def guarded(results, metric, fn, **where):
    """Runs one measurement; an exception becomes a row that says so (the rest still run)."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report and go on
        results.add(metric, None, "", note=f"failed: {type(e).__name__}: {e}"[:300], **where)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def measure_decode(results, model, device, vocab, pad, prompt_len, tokens):
    ids = prompt(1, prompt_len, vocab, device, 1)
    t1 = min(timed(device, lambda: generate(model, ids, 1, pad)) for _ in range(2))
    tn = min(timed(device, lambda: generate(model, ids, tokens, pad)) for _ in range(2))
    results.add("decode_ms_per_token", (tn - t1) * 1000 / (tokens - 1), "ms", prompt_len, tokens, 1,
                "batch 1, (t(N)-t(1))/(N-1), best of 2")


def measure_ttft(results, model, device, vocab, pad, prompt_len, repeats):
    ms = sorted(timed(device, lambda i=i: generate(model, prompt(1, prompt_len, vocab, device, 100 + i), 1, pad))
                * 1000 for i in range(repeats))
    results.add("ttft_ms", statistics.median(ms), "ms", prompt_len, 1, 1,
                f"median of {repeats} (min {ms[0]:.1f}, max {ms[-1]:.1f})")


def measure_throughput(results, model, device, vocab, pad, shapes, batches, deadline, step_s):
    for prompt_len, out in shapes:
        for batch in batches:
            where = dict(prompt_tokens=prompt_len, output_tokens=out, batch=batch)
            # HF's eager loop is launch-bound: a step costs about the batch-1 decode step until the batch is large
            predicted = out * step_s * max(1.0, batch / 64) + 1
            left = deadline - time.perf_counter()
            if predicted > left:
                results.add("throughput_output_tok_s", None, "",
                            note=f"skipped: predicted {predicted:.0f} s, {left:.0f} s of budget left", **where)
                continue

            def run():
                ids = prompt(batch, prompt_len, vocab, device, 7)
                generate(model, ids[:, :16], 2, pad)  # this batch size's kernels and allocations, untimed
                dt = timed(device, lambda: generate(model, ids, out, pad))
                results.add("throughput_output_tok_s", batch * out / dt, "tok/s",
                            note=f"{batch * out} tokens in {dt:.2f} s", **where)
            guarded(results, "throughput_output_tok_s", run, **where)


def save(results, model, config_dir, save_dir):
    t = time.perf_counter()
    shutil.rmtree(save_dir, ignore_errors=True)
    try:
        model.save_pretrained(save_dir, safe_serialization=True, max_shard_size="5GB")
    except TypeError:  # a transformers without safe_serialization (safetensors is its only format)
        model.save_pretrained(save_dir, max_shard_size="5GB")
    hf_config = os.path.join(save_dir, "config.json")
    if os.path.exists(hf_config):
        os.replace(hf_config, os.path.join(save_dir, "config.hf.json"))
    for name in ("config.json", "tokenizer.model", "tokenizer_config.json", "generation_config.json"):
        src = os.path.join(config_dir, name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(save_dir, name))
    shards = sorted(glob.glob(os.path.join(save_dir, "*.safetensors")))
    index = os.path.join(save_dir, "model.safetensors.index.json")
    names = len(json.load(open(index))["weight_map"]) if os.path.exists(index) else None
    size = sum(os.path.getsize(s) for s in shards)
    results.add("save_s", time.perf_counter() - t, "s",
                note=f"{len(shards)} shards, {size / 1e9:.2f} GB, index names {names}, to {save_dir}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="directory holding our config.json (and tokenizer files)")
    ap.add_argument("--json", help="results file")
    ap.add_argument("--save", help="write the model here for the Java engine")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtype", default="bfloat16")
    ap.add_argument("--bandwidth-mib", type=int, default=4096)
    ap.add_argument("--decode-prompt", type=int, default=32)
    ap.add_argument("--decode-tokens", type=int, default=128)
    ap.add_argument("--ttft-prompt", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--shapes", default="128:128,1000:1000", help="IN:OUT pairs")
    ap.add_argument("--batches", default="64,256;32,64",
                    help="batch sizes per shape, ';' between shapes (one list: the same for all)")
    ap.add_argument("--budget-s", type=float, default=150, help="skip throughput runs that would end later")
    args = ap.parse_args()
    deadline = T0 + args.budget_s
    device, dtype = args.device, getattr(torch, args.dtype)
    shapes = [tuple(int(x) for x in s.split(":")) for s in args.shapes.split(",")]
    batch_lists = [[int(b) for b in part.split(",")] for part in args.batches.split(";")]
    if len(batch_lists) == 1:
        batch_lists = batch_lists * len(shapes)
    if len(batch_lists) != len(shapes):
        sys.exit("--batches needs one list, or one per shape")

    import transformers
    meta = dict(tool="hf_bench.py", torch=torch.__version__, transformers=transformers.__version__,
                device=torch.cuda.get_device_name() if device.startswith("cuda") else device, dtype=args.dtype)
    results = Results(args.json, meta)
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, {meta['device']}")

    guarded(results, "copy_tb_s",
            lambda: results.add("copy_tb_s", copy_bandwidth(device, args.bandwidth_mib) / 1e12, "TB/s",
                                note=f"{args.bandwidth_mib} MiB bf16, bytes read + written"))
    init_s = time.perf_counter()
    config, model = build(args.config, dtype, device)
    init_s = time.perf_counter() - init_s
    params = sum(p.numel() for p in model.parameters())
    meta.update(parameters=params, attnImplementation=getattr(config, "_attn_implementation", None),
                config={k: getattr(config, k, None) for k in ("hidden_size", "intermediate_size", "num_hidden_layers",
                        "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size",
                        "partial_rotary_factor", "hidden_act")})
    results.add("init_s", init_s, "s", note=f"{params / 1e9:.3f} B parameters, random {args.dtype} on {device}")
    vocab = config.vocab_size
    pad = getattr(config, "pad_token_id", None)
    pad = pad if pad is not None else getattr(config, "eos_token_id", 0) or 0
    if isinstance(pad, list):
        pad = pad[0]

    warm = prompt(2, 16, vocab, device, 0)
    guarded(results, "warm_up_s", lambda: results.add(
        "warm_up_s", timed(device, lambda: generate(model, warm, 4, pad)), "s", note="generate 2x16 -> 4 tokens"))
    guarded(results, "decode_ms_per_token",
            lambda: measure_decode(results, model, device, vocab, pad, args.decode_prompt, args.decode_tokens),
            prompt_tokens=args.decode_prompt, output_tokens=args.decode_tokens)
    guarded(results, "ttft_ms", lambda: measure_ttft(results, model, device, vocab, pad, args.ttft_prompt, args.repeats),
            prompt_tokens=args.ttft_prompt, output_tokens=1)
    if args.save:
        guarded(results, "save_s", lambda: save(results, model, args.config, args.save))
    decode = [r["value"] for r in results.doc["results"] if r["metric"] == "decode_ms_per_token" and r["value"]]
    step_s = decode[0] / 1000 if decode else 0.05
    for (prompt_len, out), batches in zip(shapes, batch_lists):
        measure_throughput(results, model, device, vocab, pad, [(prompt_len, out)], batches, deadline, step_s)
    print("\n## Hugging Face transformers baseline (" + meta["device"] + ", torch " + torch.__version__
          + ", transformers " + transformers.__version__ + ")\n")
    print(results.table(), flush=True)
    failed = [r for r in results.doc["results"] if str(r["note"]).startswith("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
