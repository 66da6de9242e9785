"""Train InferMesh-tiny: a byte-level BPE tokenizer and a small Llama-architecture model.

Runs on the GPU machine (PyTorch, transformers, tokenizers); the product itself stays C#.

  train.py tokenize --corpus CORPUS --vocab 8192 --out DATA     tokenizer + token streams
  train.py train    --data DATA --shape M --epochs 6 --out RUN   [--stop-at N --ckpt DIR] [--resume DIR]
  train.py sweep    --corpus CORPUS --work WORK --out OUT         vocab, shape and epoch sweep
  train.py smoke    --corpus CORPUS --work WORK                   whole pipeline on a toy size

CORPUS is prepare_corpus.sh's output (train.jsonl, valid.jsonl). Everything is deterministic given
--seed: weights are initialised from it, and step k's batch is drawn from a generator seeded by
(seed, k), so a run resumed from a checkpoint sees exactly the batches an uninterrupted one sees.
"""
import argparse, hashlib, json, math, os, re, sys, time

os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ckpt  # noqa: E402

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]  # ids 0, 1, 2 as in the golden fixtures
EOT, IM_END = 0, 2
SEQ = 1024           # training context; also the exported max_position_embeddings
BATCH = 32           # sequences per step: 32k tokens
MAX_PARAMS = 28.5e6  # keeps the bf16 export under ~60 MB
# GQA with 64-wide heads throughout; intermediate ~2.75x hidden (SwiGLU keeps the FLOPs of 4x GELU)
SHAPES = {
    "T": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1, intermediate_size=192),
    "S": dict(hidden_size=384, num_hidden_layers=8, num_attention_heads=6, num_key_value_heads=2, intermediate_size=1024),
    "M": dict(hidden_size=512, num_hidden_layers=8, num_attention_heads=8, num_key_value_heads=2, intermediate_size=1408),
    "D": dict(hidden_size=448, num_hidden_layers=12, num_attention_heads=7, num_key_value_heads=1, intermediate_size=1152),
}


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def read_docs(corpus, split):
    with open(os.path.join(corpus, f"{split}.jsonl"), encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


# ------------------------------------------------------------------ tokenizer
def train_tokenizer(texts, vocab):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    tok = Tokenizer(models.BPE())
    # same pipeline as the golden fixtures' tokenizer (tests/fixtures/golden/make_golden.py)
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=SPECIALS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    # the trainer does not split out special tokens, so the ChatML markers are removed from what it
    # learns merges from; encoding later recognises them as single tokens
    marker = re.compile("|".join(re.escape(s) for s in SPECIALS))
    tok.train_from_iterator((marker.sub("\n", t) for t in texts), trainer, length=len(texts))
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    return tok


def encode_stream(tok, texts):
    ids = []
    for enc in tok.encode_batch(texts):
        ids.extend(enc.ids)
        ids.append(EOT)  # documents are packed, separated by <|endoftext|>
    return np.asarray(ids, dtype=np.uint16)


def cmd_tokenize(corpus, vocab, out):
    t0 = time.time()
    os.makedirs(out, exist_ok=True)
    train, valid = read_docs(corpus, "train"), read_docs(corpus, "valid")
    tok = train_tokenizer(train, vocab)
    assert [tok.token_to_id(s) for s in SPECIALS] == [0, 1, 2], "special tokens must be ids 0, 1, 2"
    tok.save(os.path.join(out, "tokenizer.json"))
    tr, va = encode_stream(tok, train), encode_stream(tok, valid)
    tr.tofile(os.path.join(out, "train.bin")); va.tofile(os.path.join(out, "valid.bin"))
    meta = {"vocab": tok.get_vocab_size(), "train_tokens": int(len(tr)), "valid_tokens": int(len(va)),
            "train_bytes": sum(len(t.encode()) for t in train), "valid_bytes": sum(len(t.encode()) for t in valid),
            "tokenizer_sha256": hashlib.sha256(open(os.path.join(out, "tokenizer.json"), "rb").read()).hexdigest(),
            "seconds": round(time.time() - t0, 1)}
    meta["train_bytes_per_token"] = round(meta["train_bytes"] / meta["train_tokens"], 3)
    json.dump(meta, open(os.path.join(out, "meta.json"), "w"), indent=1)
    log("tokenize", json.dumps(meta))
    return meta


# ------------------------------------------------------------------ model
def make_config(vocab, shape):
    from transformers import LlamaConfig
    return LlamaConfig(vocab_size=vocab, head_dim=64, max_position_embeddings=SEQ, rope_theta=10000.0,
                       rms_norm_eps=1e-5, tie_word_embeddings=True, hidden_act="silu", attention_bias=False,
                       mlp_bias=False, initializer_range=0.02, bos_token_id=None, eos_token_id=IM_END,
                       pad_token_id=EOT, **SHAPES[shape])


def param_count(cfg):
    d, L, ff, V = cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size, cfg.vocab_size
    hd, h, kv = cfg.head_dim, cfg.num_attention_heads, cfg.num_key_value_heads
    per_layer = d * h * hd * 2 + d * kv * hd * 2 + 3 * d * ff + 2 * d
    return V * d + L * per_layer + d  # embeddings tied with the output head


def make_model(cfg, seed):
    from transformers import LlamaForCausalLM
    torch.manual_seed(seed)
    cfg._attn_implementation = "sdpa"
    return LlamaForCausalLM(cfg)


def load_stream(data, split, device):
    a = np.fromfile(os.path.join(data, f"{split}.bin"), dtype=np.uint16).astype(np.int64)
    return torch.from_numpy(a).to(device)


@torch.no_grad()
def evaluate(model, valid, vocab, bs=16, amp=True):
    """Summed next-token loss over the whole validation stream, cut into SEQ-token windows
    (bf16 autocast as in training, or float32 throughout with amp=False)."""
    model.eval()
    n = valid.numel() - 1
    windows = math.ceil(n / SEQ)
    x = torch.full((windows * SEQ,), EOT, dtype=torch.long, device=valid.device)
    y = torch.full((windows * SEQ,), -100, dtype=torch.long, device=valid.device)
    x[:n] = valid[:-1]; y[:n] = valid[1:]
    x, y = x.view(windows, SEQ), y.view(windows, SEQ)
    total = 0.0
    for i in range(0, windows, bs):
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp and valid.is_cuda):
            logits = model(input_ids=x[i:i + bs]).logits
        total += F.cross_entropy(logits.float().view(-1, vocab), y[i:i + bs].reshape(-1),
                                 ignore_index=-100, reduction="sum").item()
    model.train()
    return total, n


def unigram_baseline(train, valid, vocab):
    counts = torch.bincount(train, minlength=vocab).double() + 1.0  # add-one smoothing
    logp = torch.log(counts / counts.sum())
    return -logp[valid[1:]].sum().item(), valid.numel() - 1


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))  # cosine to 10% of peak


def run_train(data, shape, epochs, seed, out=None, lr=2e-3, stop_at=None, ckpt_dir=None, resume=None,
              log_every=50, device="cuda"):
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False
    meta = json.load(open(os.path.join(data, "meta.json")))
    vocab = meta["vocab"]
    cfg = make_config(vocab, shape)
    train, valid = load_stream(data, "train", device), load_stream(data, "valid", device)
    total = math.ceil(epochs * train.numel() / (BATCH * SEQ))
    warmup = max(20, total // 50)
    model = make_model(cfg, seed).to(device)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.95), eps=1e-8, fused=device == "cuda")
    step, train_seconds, first_step = 0, 0.0, 0
    run_id = dict(data_tokenizer=meta["tokenizer_sha256"], shape=shape, epochs=epochs, seed=seed, lr=lr, total=total)
    if resume:
        state = ckpt.load(resume, model, opt)
        if state["run"] != run_id:
            raise ValueError(f"checkpoint {resume} is of another run: {state['run']} vs {run_id}")
        step, train_seconds = state["step"], state["train_seconds"]
        first_step = step
        log(f"resumed from {resume} at step {step}/{total}")
    arange = torch.arange(SEQ + 1, device=device)
    t0, losses = time.time(), []
    model.train()
    while step < total:
        cur_lr = lr_at(step, total, lr, warmup)
        for g in opt.param_groups:
            g["lr"] = cur_lr
        gen = torch.Generator().manual_seed(seed * 1_000_003 + step)
        offs = torch.randint(0, train.numel() - SEQ - 1, (BATCH,), generator=gen).to(device)
        chunk = train[offs[:, None] + arange]
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            logits = model(input_ids=chunk[:, :-1]).logits
        loss = F.cross_entropy(logits.float().view(-1, vocab), chunk[:, 1:].reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        losses.append(loss.detach())
        if step % log_every == 0 or step == total:
            l = torch.stack(losses).mean().item(); losses = []
            el = time.time() - t0
            log(f"{shape} V{vocab} E{epochs} step {step}/{total} loss {l:.4f} lr {cur_lr:.2e} "
                f"{((step - first_step) * BATCH * SEQ) / max(el, 1e-9) / 1e6:.2f}M tok/s")
        if stop_at and step >= stop_at and step < total:
            torch.cuda.synchronize()
            ckpt.save(ckpt_dir, model, opt, {"run": run_id, "step": step,
                                             "train_seconds": train_seconds + time.time() - t0})
            log(f"checkpoint at step {step} -> {ckpt_dir}")
            return {"stopped_at": step}
    if device == "cuda":
        torch.cuda.synchronize()
    train_seconds += time.time() - t0
    nats, n = evaluate(model, valid, vocab)
    uni, _ = unigram_baseline(train, valid, vocab)
    res = dict(shape=shape, vocab=vocab, epochs=epochs, seed=seed, lr=lr, steps=total, params=param_count(cfg),
               train_tokens_seen=total * BATCH * SEQ, train_seconds=round(train_seconds, 1),
               val_loss=nats / n, val_ppl=math.exp(nats / n), val_bpb=nats / math.log(2) / meta["valid_bytes"],
               unigram_loss=uni / n, unigram_ppl=math.exp(uni / n), unigram_bpb=uni / math.log(2) / meta["valid_bytes"],
               tokenizer_sha256=meta["tokenizer_sha256"])
    actual = sum(p.numel() for p in model.parameters())
    if actual != res["params"]:
        log(f"warning: param_count says {res['params']} but the model has {actual} parameters")
        res["params"] = actual
    log("result", json.dumps(res))
    if out:
        os.makedirs(out, exist_ok=True)
        model.save_pretrained(out)  # float32; export.py makes the shipped bf16 folder from it
        json.dump(res, open(os.path.join(out, "result.json"), "w"), indent=1)
    del model, opt
    torch.cuda.empty_cache()
    return res


# ------------------------------------------------------------------ sweep
def cmd_sweep(corpus, work, out, seed, budget_s):
    """Vocab first (on the small shape), then shape at the best vocab, then the number of epochs:
    each choice by validation bits per byte, which is comparable across tokenizers."""
    t0 = time.time()
    os.makedirs(out, exist_ok=True)
    rows = []

    def record(row):
        rows.append(row)
        json.dump(rows, open(os.path.join(out, "sweep.json"), "w"), indent=1)

    def run(vocab, shape, epochs):
        cfg = make_config(vocab, shape)
        key = dict(vocab=vocab, shape=shape, epochs=epochs, params=param_count(cfg))
        if key["params"] > MAX_PARAMS:
            record(dict(key, skipped=f"over the {MAX_PARAMS / 1e6:.1f}M parameter cap")); return None
        if time.time() - t0 > budget_s:
            record(dict(key, skipped="out of time budget")); return None
        r = run_train(f"{work}/tok{vocab}", shape, epochs, seed)
        record(r)
        return r

    for v in (4096, 8192, 16384):
        m = cmd_tokenize(corpus, v, f"{work}/tok{v}")
        record(dict(tokenizer=v, **m))
    stage1 = [r for r in (run(v, "S", 6) for v in (4096, 8192, 16384)) if r]
    vocab = min(stage1, key=lambda r: r["val_bpb"])["vocab"]
    stage2 = [r for r in (run(vocab, s, 6) for s in ("M", "D")) if r]
    shape = min(stage1 + stage2, key=lambda r: r["val_bpb"] if r["vocab"] == vocab else 9)["shape"]
    stage3 = [r for r in (run(vocab, shape, e) for e in (3, 12)) if r]
    cands = [r for r in stage1 + stage2 + stage3 if r["vocab"] == vocab and r["shape"] == shape]
    best = min(cands, key=lambda r: r["val_bpb"])
    if best["epochs"] == 12:
        r = run(vocab, shape, 20)
        best = min([best] + ([r] if r else []), key=lambda r: r["val_bpb"])
    record(dict(chosen=dict(vocab=best["vocab"], shape=best["shape"], epochs=best["epochs"]),
                sweep_seconds=round(time.time() - t0)))
    log("sweep table (validation bits per byte; lower is better)")
    for r in rows:
        if "val_bpb" in r:
            log(f"  V{r['vocab']:6d} {r['shape']} E{r['epochs']:3d} {r['params'] / 1e6:5.1f}M "
                f"loss {r['val_loss']:.4f} bpb {r['val_bpb']:.4f} ({r['train_seconds']:.0f}s)")
    log("chosen", json.dumps(rows[-1]))


def cmd_smoke(corpus, work):
    """The whole pipeline on a toy size: tokenize, train with a checkpoint and a resume in a fresh
    model, export and reload. Minutes of device time are dear: this fails fast."""
    import export
    small = f"{work}/smoke-corpus"
    os.makedirs(small, exist_ok=True)
    for split, n in (("train", 3000), ("valid", 200)):
        with open(f"{corpus}/{split}.jsonl") as f, open(f"{small}/{split}.jsonl", "w") as g:
            for i, line in enumerate(f):
                if i % 5 == 0: g.write(line)
                if i >= n * 5: break
    cmd_tokenize(small, 1024, f"{work}/smoke-tok")
    a = run_train(f"{work}/smoke-tok", "T", 3, 0, out=f"{work}/smoke-run-a", log_every=10)
    run_train(f"{work}/smoke-tok", "T", 3, 0, stop_at=a["steps"] // 2, ckpt_dir=f"{work}/smoke-ckpt")
    b = run_train(f"{work}/smoke-tok", "T", 3, 0, out=f"{work}/smoke-run-b", resume=f"{work}/smoke-ckpt")
    log(f"smoke: uninterrupted {a['val_loss']:.5f} resumed {b['val_loss']:.5f}")
    export.export(f"{work}/smoke-tok", f"{work}/smoke-run-b", f"{work}/smoke-export", small, n_samples=1)
    log("smoke ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("tokenize"); p.add_argument("--corpus", required=True); p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--out", required=True)
    p = sub.add_parser("train"); p.add_argument("--data", required=True); p.add_argument("--shape", default="M", choices=SHAPES)
    p.add_argument("--epochs", type=float, default=6); p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=2e-3); p.add_argument("--out")
    p.add_argument("--stop-at", type=int, help="save a checkpoint at this step and exit"); p.add_argument("--ckpt")
    p.add_argument("--stop-at-fraction", type=float, help="as --stop-at, as a fraction of the run's steps")
    p.add_argument("--resume", help="checkpoint folder to continue from")
    p = sub.add_parser("sweep"); p.add_argument("--corpus", required=True); p.add_argument("--work", required=True)
    p.add_argument("--out", required=True); p.add_argument("--seed", type=int, default=0)
    p.add_argument("--budget-s", type=float, default=420)
    p = sub.add_parser("smoke"); p.add_argument("--corpus", required=True); p.add_argument("--work", required=True)
    a = ap.parse_args()
    if a.cmd == "tokenize": cmd_tokenize(a.corpus, a.vocab, a.out)
    elif a.cmd == "train":
        if (a.stop_at or a.stop_at_fraction) and not a.ckpt: ap.error("--stop-at needs --ckpt")
        if a.stop_at_fraction:
            n = np.fromfile(os.path.join(a.data, "train.bin"), dtype=np.uint16).size
            a.stop_at = max(1, int(a.stop_at_fraction * math.ceil(a.epochs * n / (BATCH * SEQ))))
        run_train(a.data, a.shape, a.epochs, a.seed, out=a.out, lr=a.lr, stop_at=a.stop_at, ckpt_dir=a.ckpt,
                  resume=a.resume)
    elif a.cmd == "sweep": cmd_sweep(a.corpus, a.work, a.out, a.seed, a.budget_s)
    elif a.cmd == "smoke": cmd_smoke(a.corpus, a.work)


if __name__ == "__main__":
    main()
