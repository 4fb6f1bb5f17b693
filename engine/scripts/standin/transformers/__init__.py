"""NOT transformers and NOT a reference: a ~100-line torch re-implementation of the parts of
transformers.NemotronForCausalLM that engine/scripts/hf_reference.py touches, written here from
model-spec.md, so the script and HfReferenceTest can be smoke-tested without a GPU host.
FAKE_ROUND=1 rounds (1 + w) and cos/sin to bf16 the way HF does in bf16. See ../README.md."""
import json, os, torch
from torch import nn
import torch.nn.functional as F
__version__ = "fake-for-plumbing"

class NemotronConfig:
    @classmethod
    def from_pretrained(cls, d):
        c = cls(); c.__dict__.update(json.load(open(os.path.join(d, "config.json")))); return c

class LN1P(nn.LayerNorm):
    def forward(self, x):
        g = self.weight + 1
        if os.environ.get("FAKE_ROUND"): g = g.bfloat16().to(g.dtype)
        return F.layer_norm(x, self.normalized_shape, g, self.bias, self.eps)

class Rotary(nn.Module):
    def __init__(self, c):
        super().__init__()
        dim = int(c.partial_rotary_factor * c.head_dim)
        self.register_buffer("inv_freq", 1.0 / (c.rope_theta ** (torch.arange(0, dim, 2).float() / dim)), persistent=False)
    def forward(self, x, pos):
        f = pos[:, None].float() * self.inv_freq[None, :].float()
        emb = torch.cat([f, f], -1)
        c, s = emb.cos(), emb.sin()
        if os.environ.get("FAKE_ROUND"): c, s = c.bfloat16(), s.bfloat16()
        return c.to(x.dtype), s.to(x.dtype)

def rot_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], -1)

def apply(q, cos, sin):
    r = cos.shape[-1]
    a, p = q[..., :r], q[..., r:]
    return torch.cat([a * cos + rot_half(a) * sin, p], -1)

class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.input_layernorm = LN1P(c.hidden_size, eps=c.norm_eps)
        self.post_attention_layernorm = LN1P(c.hidden_size, eps=c.norm_eps)
        self.self_attn = nn.Module()
        self.self_attn.q_proj = nn.Linear(c.hidden_size, c.num_attention_heads * c.head_dim, bias=False)
        self.self_attn.k_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=False)
        self.self_attn.v_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=False)
        self.self_attn.o_proj = nn.Linear(c.num_attention_heads * c.head_dim, c.hidden_size, bias=False)
        self.mlp = nn.Module()
        self.mlp.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.mlp.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)
    def forward(self, h, cos, sin):
        c, T = self.c, h.shape[1]
        x = self.input_layernorm(h)
        a = self.self_attn
        q = a.q_proj(x).view(1, T, -1, c.head_dim).transpose(1, 2)
        k = a.k_proj(x).view(1, T, -1, c.head_dim).transpose(1, 2)
        v = a.v_proj(x).view(1, T, -1, c.head_dim).transpose(1, 2)
        q, k = apply(q, cos, sin), apply(k, cos, sin)
        g = c.num_attention_heads // c.num_key_value_heads
        k, v = k.repeat_interleave(g, 1), v.repeat_interleave(g, 1)
        w = q @ k.transpose(2, 3) / c.head_dim ** 0.5
        w = w + torch.full((T, T), float("-inf"), dtype=w.dtype, device=w.device).triu(1)
        w = F.softmax(w, -1, dtype=torch.float32).to(q.dtype)
        o = (w @ v).transpose(1, 2).reshape(1, T, -1)
        h = h + a.o_proj(o)
        return h + self.mlp.down_proj(F.relu(self.mlp.up_proj(self.post_attention_layernorm(h))) ** 2)

class Out:
    def __init__(self, logits): self.logits = logits

class NemotronForCausalLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = nn.Module()
        self.model.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.model.layers = nn.ModuleList([Layer(c) for _ in range(c.num_hidden_layers)])
        self.model.norm = LN1P(c.hidden_size, eps=c.norm_eps)
        self.model.rotary_emb = Rotary(c)
        self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
    def forward(self, ids):
        h = self.model.embed_tokens(ids)
        cos, sin = self.model.rotary_emb(h, torch.arange(ids.shape[1], device=ids.device))
        for l in self.model.layers:
            h = l(h, cos, sin)
        return Out(self.lm_head(self.model.norm(h)))

# --- for hf_bench.py's plumbing only: greedy generate (full recompute, row by row) and a sharded save
def _generate(self, ids, attention_mask=None, max_new_tokens=1, min_new_tokens=None, do_sample=False,
              use_cache=True, pad_token_id=None):
    rows = []
    with torch.no_grad():
        for row in ids:
            seq = row[None, :]
            for _ in range(max_new_tokens):
                nxt = self(seq).logits[0, -1].float().argmax()
                seq = torch.cat([seq, nxt.view(1, 1).to(seq.dtype)], 1)
            rows.append(seq[0])
    return torch.stack(rows)

def _save_pretrained(self, d, safe_serialization=True, max_shard_size="5GB"):
    from safetensors.torch import save_file
    os.makedirs(d, exist_ok=True)
    sd = {k: v for k, v in self.state_dict().items() if "inv_freq" not in k}
    half = len(sd) // 2
    names = list(sd)
    shards = {"model-00001-of-00002.safetensors": names[:half], "model-00002-of-00002.safetensors": names[half:]}
    weight_map = {}
    for f, ks in shards.items():
        save_file({k: sd[k] for k in ks}, os.path.join(d, f), metadata={"format": "pt"})
        weight_map.update({k: f for k in ks})
    json.dump({"metadata": {}, "weight_map": weight_map}, open(os.path.join(d, "model.safetensors.index.json"), "w"))
    json.dump({"model_type": "nemotron", "from": "stand-in"}, open(os.path.join(d, "config.json"), "w"))

NemotronForCausalLM.generate = _generate
NemotronForCausalLM.save_pretrained = _save_pretrained
