#!/usr/bin/env python3
"""Hugging Face reference logits for a checkpoint our generator wrote (runs on the GPU host).

    python3 hf_reference.py CHECKPOINT_DIR --name tiny-seed7 --out OUT_DIR [--device cuda] [--dtypes float32]

transformers' own NemotronForCausalLM is built from CHECKPOINT_DIR/config.json (random init, no
download), our model.safetensors is loaded into it with strict=True (no missing or unexpected
keys), and for a fixed set of prompts it

  1. continues each prompt greedily (argmax, full recompute each step, no EOS stop), then
  2. runs one forward over prompt + continuation and keeps the logits of every position.

It writes, per dtype, OUT_DIR/NAME-DTYPE.json (token ids, prompt lengths, versions, sha256 of the
weights, the rotary width HF actually used) and OUT_DIR/NAME-DTYPE.logits.f32 (little-endian
float32, [positions, vocab], sequences one after another). engine/.../reference/HfReferenceTest
reads them. If pytorch_model.bin is also in CHECKPOINT_DIR it is loaded with
torch.load(weights_only=True) and must equal the safetensors tensors.

Each run dtype must be the checkpoint's stored dtype (an f32 checkpoint for float32, a bf16 one for
bfloat16; gpu-check.sh prepares both): a bf16 checkpoint upcast to fp32 is not what our backend
computes for it (it rounds LayerNorm1P's 1 + w and RoPE's cos/sin to the stored dtype, as HF does in
bf16), so such a comparison would measure that rounding, not the implementations.
--allow-upcast runs it anyway (and the fixture says so).
"""
import argparse
import hashlib
import json
import os
import random
import sys

import torch
import transformers
from safetensors.torch import load_file
from transformers import NemotronConfig, NemotronForCausalLM

# prompt length, greedy tokens to add: 8+112 + 16+120 + 24+100 + 40+100 = 520 positions
SHAPES = [(8, 112), (16, 120), (24, 100), (40, 100)]


def prompts(vocab, seed):
    r = random.Random(seed)
    out = []
    for length, _ in SHAPES:
        ids = [2] + [r.randrange(4, vocab) for _ in range(length - 1)]  # BOS, then anything but specials
        out.append(ids)
    return out


def build(ckpt, dtype, device):
    config = NemotronConfig.from_pretrained(ckpt)
    try:
        config._attn_implementation = "eager"  # the plain softmax(QK^T)V path, the most literal reference
    except Exception:  # noqa: BLE001 - older/newer config objects; sdpa is fine too
        pass
    model = NemotronForCausalLM(config)
    state = load_file(os.path.join(ckpt, "model.safetensors"))
    result = model.load_state_dict(state, strict=True)
    print("load_state_dict:", result)
    bin_path = os.path.join(ckpt, "pytorch_model.bin")
    if os.path.exists(bin_path):
        sd = torch.load(bin_path, map_location="cpu", weights_only=True)
        assert list(sd.keys()) == list(state.keys()), "pytorch_model.bin names differ from model.safetensors"
        for k in sd:
            assert torch.equal(sd[k], state[k]), f"pytorch_model.bin tensor {k} differs"
        print(f"pytorch_model.bin: {len(sd)} tensors equal to model.safetensors (torch.load weights_only=True)")
    model = model.to(device=device, dtype=dtype).eval()
    stored = {str(t.dtype).replace("torch.", "") for t in state.values()}
    return config, model, stored


def rotary_width(model):
    for name, buf in model.named_buffers():
        if name.endswith("inv_freq"):
            return 2 * buf.numel()
    return None


@torch.no_grad()
def greedy(model, ids, steps, device):
    seq = list(ids)
    for _ in range(steps):
        logits = model(torch.tensor([seq], device=device)).logits[0, -1]
        seq.append(int(torch.argmax(logits.float())))
    return seq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--name", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--dtypes", default="float32,bfloat16")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--allow-upcast", action="store_true", help="run a dtype other than the stored one")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 must mean fp32
    torch.backends.cudnn.allow_tf32 = False
    with open(os.path.join(args.checkpoint, "model.safetensors"), "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    cfg_json = json.load(open(os.path.join(args.checkpoint, "config.json")))
    expected_rotary = int(cfg_json["head_dim"] * cfg_json["partial_rotary_factor"])
    for dtype_name in args.dtypes.split(","):
        dtype = getattr(torch, dtype_name)
        config, model, stored = build(args.checkpoint, dtype, args.device)
        if stored != {dtype_name}:
            msg = f"{args.name}: the checkpoint stores {sorted(stored)}, the run is {dtype_name}"
            if not args.allow_upcast:
                sys.exit(msg + ": use the checkpoint of that dtype (TinyCheckpointMain --dtype), or --allow-upcast")
            print("WARNING: " + msg, file=sys.stderr)
        width = rotary_width(model)
        print(f"{args.name} {dtype_name}: head_dim {getattr(config, 'head_dim', None)}, rotary width {width}"
              f" (config says {expected_rotary})")
        if width is not None and width != expected_rotary:
            print(f"WARNING: this transformers rotates {width} dims, not {expected_rotary}: it has the partial-RoPE"
                  " pitfall and is not a valid reference", file=sys.stderr)
        sequences, prompt_lengths, rows = [], [], []
        for ids, (_, steps) in zip(prompts(config.vocab_size, args.seed), SHAPES):
            seq = greedy(model, ids, steps, args.device)
            with torch.no_grad():
                logits = model(torch.tensor([seq], device=args.device)).logits[0].float().cpu()
            sequences.append(seq)
            prompt_lengths.append(len(ids))
            rows.append(logits)
        all_logits = torch.cat(rows).contiguous()
        prefix = os.path.join(args.out, f"{args.name}-{dtype_name}")
        all_logits.numpy().astype("<f4").tofile(prefix + ".logits.f32")
        meta = {
            "name": args.name,
            "dtype": dtype_name,
            "checkpointDtype": ",".join(sorted(stored)),
            "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else args.device,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "attnImplementation": getattr(config, "_attn_implementation", None),
            "rotaryWidthUsed": width,
            "modelSafetensorsSha256": sha,
            "vocabSize": config.vocab_size,
            "sequences": [{"tokenIds": s, "promptLength": p} for s, p in zip(sequences, prompt_lengths)],
            "positions": int(all_logits.shape[0]),
            "logitsFile": os.path.basename(prefix) + ".logits.f32",
            "logitsLayout": "float32 little-endian [positions, vocab], sequences concatenated",
            "computedWith": "engine/scripts/hf_reference.py: NemotronForCausalLM, greedy by full recompute",
        }
        with open(prefix + ".json", "w") as f:
            json.dump(meta, f, indent=1)
            f.write("\n")
        print(f"wrote {prefix}.json ({meta['positions']} positions)")


if __name__ == "__main__":
    main()
