"""Sharded training checkpoints small enough to leave the GPU machine between calls.

The device returns at most 8 files of at most 16 MiB per call, so a checkpoint is a folder of
safetensors shards (each <= SHARD_BYTES; a tensor larger than that is split along dim 0) plus
state.json. Weights are kept exactly (float32); the AdamW moments are stored as bfloat16 unless
exact=True, which halves their size and perturbs the resumed run by far less than its noise.
Data order needs no state: each step's batch is drawn from a generator seeded by (seed, step).
"""
import glob, json, os

import torch
from safetensors.torch import load_file, save_file

SHARD_BYTES = 15 * 2**20  # under the 16 MiB per-file limit, with room for the safetensors header


def _pieces(name, t):
    t = t.detach().contiguous().cpu()
    if t.numel() * t.element_size() <= SHARD_BYTES or t.dim() == 0:
        yield name, t
        return
    rows = max(1, SHARD_BYTES // (t[0].numel() * t.element_size()))
    for i, start in enumerate(range(0, t.shape[0], rows)):
        yield f"{name}@{i}", t[start:start + rows].clone()


def save(path, model, opt, state, exact=False):
    os.makedirs(path, exist_ok=True)
    for old in glob.glob(os.path.join(path, "ckpt-*.safetensors")):
        os.remove(old)
    tensors = {}
    for n, p in model.named_parameters():
        tensors.update(_pieces("model." + n, p.data.float()))
        st = opt.state.get(p, {})
        for k in ("exp_avg", "exp_avg_sq"):
            if k in st:
                tensors.update(_pieces(f"opt.{n}.{k}", st[k].float() if exact else st[k].to(torch.bfloat16)))
    shards, cur, size = [], {}, 0
    for k, t in tensors.items():
        b = t.numel() * t.element_size()
        if cur and size + b > SHARD_BYTES:
            shards.append(cur); cur, size = {}, 0
        cur[k] = t; size += b
    shards.append(cur)
    for i, sh in enumerate(shards):
        save_file(sh, os.path.join(path, f"ckpt-{i:05d}.safetensors"))
    state = dict(state, shards=len(shards), exact_moments=exact)
    # the optimizer's own step counters, so bias correction resumes where it stopped
    state["opt_step"] = {n: float(opt.state[p]["step"]) for n, p in model.named_parameters() if p in opt.state}
    with open(os.path.join(path, "state.json"), "w") as f:
        json.dump(state, f, indent=1)


def load(path, model, opt):
    with open(os.path.join(path, "state.json")) as f:
        state = json.load(f)
    files = sorted(glob.glob(os.path.join(path, "ckpt-*.safetensors")))
    if len(files) != state["shards"]:
        raise FileNotFoundError(f"{path}: state.json names {state['shards']} shards but {len(files)} are there; "
                                "copy every ckpt-*.safetensors file of the checkpoint")
    flat = {}
    for f in files:
        flat.update(load_file(f))
    joined = {}
    for k in sorted(flat, key=lambda k: (k.split("@")[0], int(k.split("@")[1]) if "@" in k else 0)):
        base = k.split("@")[0]
        joined.setdefault(base, []).append(flat[k])
    joined = {k: torch.cat(v) if len(v) > 1 else v[0] for k, v in joined.items()}
    for n, p in model.named_parameters():
        p.data.copy_(joined["model." + n].to(p.device))
        if f"opt.{n}.exp_avg" in joined:
            opt.state[p] = {
                # fused AdamW keeps its step counter on the parameter's device
                "step": torch.tensor(state["opt_step"][n], dtype=torch.float32,
                                     device=p.device if opt.defaults.get("fused") else "cpu"),
                "exp_avg": joined[f"opt.{n}.exp_avg"].to(p.device, torch.float32),
                "exp_avg_sq": joined[f"opt.{n}.exp_avg_sq"].to(p.device, torch.float32),
            }
    return state
