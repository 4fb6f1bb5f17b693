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

def save_file(tensors, path, metadata=None):
    """Plumbing only: the safetensors layout (8-byte header length, JSON header, raw little-endian data)."""
    names = {torch.bfloat16: "BF16", torch.float16: "F16", torch.float32: "F32"}
    header, blobs, off = {}, [], 0
    if metadata: header["__metadata__"] = metadata
    for k, t in tensors.items():
        t = t.detach().contiguous().cpu()
        raw = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[k] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw); off += len(raw)
    h = json.dumps(header).encode(); h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h))); f.write(h)
        for b in blobs: f.write(b)
