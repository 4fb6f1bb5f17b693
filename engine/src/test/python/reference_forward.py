#!/usr/bin/python3
"""Independent reference for NemotronForCausalLM logits, written straight from model-spec.md.

Reads a checkpoint directory (config.json + model.safetensors) with nothing but numpy, runs a
dense full-sequence forward in float64 and writes the logits of every position:

    /usr/bin/python3 reference_forward.py CHECKPOINT_DIR --tokens 2,17,400 --out PREFIX

writes PREFIX.json (token ids, shapes, sha256 of model.safetensors) and PREFIX.logits.f32
(little-endian float32, [len(tokens), vocab_size], row-major).

Like Hugging Face, LayerNorm1P adds the 1 to the stored weight in bf16, and RoPE's cos/sin are
computed in float32 and rounded to bf16; everything else is float64.
"""
import argparse
import hashlib
import json
import os
import struct

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        buf = np.frombuffer(data[begin:end], dtype="<u2" if e["dtype"] in ("BF16", "F16") else "<f4")
        if e["dtype"] == "BF16":
            values = (buf.astype(np.uint32) << 16).view(np.float32)
        elif e["dtype"] == "F16":
            values = buf.view(np.float16).astype(np.float32)
        else:
            values = buf
        tensors[name] = values.reshape(e["shape"]).astype(np.float64)
    return tensors


def round_bf16(x):
    """Round float32 values to the nearest bf16 (ties to even), as float32."""
    bits = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16
    return rounded.astype(np.uint32).view(np.float32)


def layer_norm_1p(x, weight, bias, eps):
    gamma = round_bf16((1.0 + weight).astype(np.float32)).astype(np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + bias


def rope_cos_sin(seq_len, rotary_dim, theta):
    inv_freq = (1.0 / (np.float32(theta) ** (np.arange(0, rotary_dim, 2, dtype=np.float32) / np.float32(rotary_dim))))
    inv_freq = inv_freq.astype(np.float32)
    angles = np.arange(seq_len, dtype=np.float32)[:, None] * inv_freq[None, :]   # [T, rotary/2]
    cos = round_bf16(np.cos(angles)).astype(np.float64)
    sin = round_bf16(np.sin(angles)).astype(np.float64)
    return cos, sin


def apply_rope(x, cos, sin, rotary_dim):
    """x: [T, heads, head_dim]; rotate-half on the first rotary_dim dims, the rest pass through."""
    half = rotary_dim // 2
    out = x.copy()
    a = x[:, :, :half]
    b = x[:, :, half:rotary_dim]
    c = cos[:, None, :]
    s = sin[:, None, :]
    out[:, :, :half] = a * c - b * s
    out[:, :, half:rotary_dim] = b * c + a * s
    return out


def forward(cfg, w, tokens):
    hidden = cfg["hidden_size"]
    heads = cfg["num_attention_heads"]
    kv_heads = cfg.get("num_key_value_heads", heads)
    head_dim = cfg.get("head_dim") or cfg.get("kv_channels") or hidden // heads
    rotary_dim = int(head_dim * cfg.get("partial_rotary_factor", cfg.get("rope_percent", 0.5)))
    eps = cfg.get("norm_eps", 1e-5)
    T = len(tokens)
    cos, sin = rope_cos_sin(T, rotary_dim, cfg.get("rope_theta", 10000.0))
    causal = np.tril(np.ones((T, T), dtype=bool))

    h = w["model.embed_tokens.weight"][tokens]                                    # [T, hidden]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = layer_norm_1p(h, w[p + "input_layernorm.weight"], w[p + "input_layernorm.bias"], eps)
        q = (x @ w[p + "self_attn.q_proj.weight"].T).reshape(T, heads, head_dim)
        k = (x @ w[p + "self_attn.k_proj.weight"].T).reshape(T, kv_heads, head_dim)
        v = (x @ w[p + "self_attn.v_proj.weight"].T).reshape(T, kv_heads, head_dim)
        q = apply_rope(q, cos, sin, rotary_dim)
        k = apply_rope(k, cos, sin, rotary_dim)
        group = heads // kv_heads
        attn = np.zeros((T, heads, head_dim))
        for hd in range(heads):
            kv = hd // group
            scores = q[:, hd, :] @ k[:, kv, :].T / np.sqrt(head_dim)               # [T, T]
            scores = np.where(causal, scores, -np.inf)
            probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
            probs /= probs.sum(axis=-1, keepdims=True)
            attn[:, hd, :] = probs @ v[:, kv, :]
        h = h + attn.reshape(T, heads * head_dim) @ w[p + "self_attn.o_proj.weight"].T
        x = layer_norm_1p(h, w[p + "post_attention_layernorm.weight"], w[p + "post_attention_layernorm.bias"], eps)
        up = np.maximum(x @ w[p + "mlp.up_proj.weight"].T, 0.0) ** 2
        h = h + up @ w[p + "mlp.down_proj.weight"].T
    h = layer_norm_1p(h, w["model.norm.weight"], w["model.norm.bias"], eps)
    return h @ w["lm_head.weight"].T                                              # [T, vocab]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--out", required=True, help="output prefix")
    args = ap.parse_args()
    with open(os.path.join(args.checkpoint, "config.json")) as f:
        cfg = json.load(f)
    assert cfg["model_type"] == "nemotron" and cfg["hidden_act"] == "relu2"
    weights_path = os.path.join(args.checkpoint, "model.safetensors")
    tokens = [int(t) for t in args.tokens.split(",")]
    logits = forward(cfg, read_safetensors(weights_path), np.array(tokens))
    with open(weights_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    logits.astype("<f4").tofile(args.out + ".logits.f32")
    meta = {
        "tokenIds": tokens,
        "vocabSize": cfg["vocab_size"],
        "logitsFile": os.path.basename(args.out) + ".logits.f32",
        "logitsLayout": "float32 little-endian [tokens, vocab], row-major",
        "modelSafetensorsSha256": digest,
        "argmax": [int(a) for a in logits.argmax(axis=-1)],
        "computedWith": "engine/src/test/python/reference_forward.py (numpy float64)",
    }
    with open(args.out + ".json", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
