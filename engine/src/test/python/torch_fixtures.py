#!/usr/bin/python3
"""PyTorch's own side of the pytorch_model.bin tests (needs Debian's python3-torch; CI does not).

    /usr/bin/python3 torch_fixtures.py write OUT_DIR
        writes real torch.save files (and hostile pickles made with plain `pickle`) that are
        committed under engine/src/test/resources/torch/, plus expected.json describing them.
    /usr/bin/python3 torch_fixtures.py check BIN_DIR SAFETENSORS_DIR
        loads BIN_DIR/pytorch_model.bin, written by our TinyCheckpointMain --format bin, with
        torch.load(weights_only=True) and checks every tensor equals the one in
        SAFETENSORS_DIR/model.safetensors (same preset and seed).
"""
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import torch


def values_formula(n, k):
    """Small values exactly representable in bf16, fp16 and fp32."""
    return [((i * 7 + k * 3) % 19 - 9) / 8.0 for i in range(n)]


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(4, 3, bias=True)
        self.norm = torch.nn.LayerNorm(3)


def tiny_state(dtype):
    m = Tiny()
    with torch.no_grad():
        for k, (name, p) in enumerate(m.named_parameters()):
            p.copy_(torch.tensor(values_formula(p.numel(), k)).reshape(p.shape))
    return m.to(dtype).state_dict()          # an OrderedDict with _metadata, as HF saves


def describe(sd):
    return {name: {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape),
                   "values": [float(v) for v in t.float().flatten().tolist()]} for name, t in sd.items()}


class Reduce:
    """An object whose pickle calls `func(*args)` on load: what a hostile checkpoint does."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def zip_with_pickle(path, pkl):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")


def write(out):
    os.makedirs(out, exist_ok=True)
    expected = {"torchVersion": torch.__version__, "files": {}}
    for dtype, tag in [(torch.bfloat16, "bf16"), (torch.float16, "f16"), (torch.float32, "f32")]:
        sd = tiny_state(dtype)
        name = f"tiny-{tag}.bin"
        torch.save(sd, os.path.join(out, name))
        expected["files"][name] = {"tensors": describe(sd)}
    # two tensors viewing one storage at different offsets (torch saves the whole storage once)
    base = torch.tensor(values_formula(12, 5), dtype=torch.bfloat16).reshape(3, 4)
    views = {"first": base[0], "rest": base[1:]}
    torch.save(views, os.path.join(out, "shared-storage.bin"))
    expected["files"]["shared-storage.bin"] = {"tensors": describe(views)}
    # a transposed (non-contiguous) tensor: must be refused, not silently read in the wrong order
    torch.save({"w": base.t()}, os.path.join(out, "transposed.bin"))
    expected["files"]["transposed.bin"] = {"error": "is not contiguous"}
    torch.save({"ids": torch.arange(4)}, os.path.join(out, "int64.bin"))
    expected["files"]["int64.bin"] = {"error": "torch.LongStorage is not supported"}
    torch.save(tiny_state(torch.float32), os.path.join(out, "legacy-format.bin"), _use_new_zipfile_serialization=False)
    expected["files"]["legacy-format.bin"] = {"error": "legacy (pre-1.6) torch.save format"}
    # hostile pickles inside a well-formed torch ZIP, made with plain pickle (protocol 2, as torch)
    zip_with_pickle(os.path.join(out, "os-system.bin"), pickle.dumps(Reduce(os.system, ("echo pwned",)), protocol=2))
    expected["files"]["os-system.bin"] = {"error": "global posix.system"}
    zip_with_pickle(os.path.join(out, "builtins-eval.bin"),
                    pickle.dumps({"w": Reduce(eval, ("__import__('os').system('echo pwned')",))}, protocol=2))
    expected["files"]["builtins-eval.bin"] = {"error": "global __builtin__.eval"}
    zip_with_pickle(os.path.join(out, "proto4-exec.bin"), pickle.dumps(Reduce(exec, ("print(1)",)), protocol=4))
    expected["files"]["proto4-exec.bin"] = {"error": "global builtins.exec"}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        dtype = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}[e["dtype"]]
        out[name] = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + end]), dtype=dtype).reshape(e["shape"])
    return out


def check(bin_dir, st_dir):
    sd = torch.load(os.path.join(bin_dir, "pytorch_model.bin"), map_location="cpu", weights_only=True)
    ref = read_safetensors(os.path.join(st_dir, "model.safetensors"))
    assert list(sd.keys()) == list(ref.keys()), (list(sd.keys())[:5], list(ref.keys())[:5])
    for name, t in sd.items():
        r = ref[name]
        assert t.dtype == r.dtype and t.shape == r.shape, (name, t.dtype, t.shape, r.dtype, r.shape)
        assert torch.equal(t, r), name
        assert t.is_contiguous(), name
    print(f"torch {torch.__version__}: loaded {len(sd)} tensors with weights_only=True; all equal the safetensors ones")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
