import json, struct, torch
def load_file(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8]); h = json.loads(raw[8:8+n]); out = {}
    for k, e in h.items():
        if k == "__metadata__": continue
        b, end = e["data_offsets"]
        dt = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}[e["dtype"]]
        out[k] = torch.frombuffer(bytearray(raw[8+n+b:8+n+end]), dtype=dt).reshape(e["shape"]).clone()
    return out
