"""Teacher-forced logits, position by position: InferMesh (`infermesh logits`) against Hugging Face transformers.

Issue 5's bar on the 1B-shape folder over a 512-token prompt: per-position logits cosine >= 0.999, and top-1
agreement >= 99% where transformers' top-1/top-2 margin exceeds 0.01. Three steps, each a subcommand:

  python3 bench/peers/hf_teacher_forced.py make-ids DIR --tokens 512 --seed 0 --out ids.json [--text FILE]
  python3 bench/peers/hf_teacher_forced.py reference DIR --ids ids.json --out hf.f32 [--fp32-head-out hf-head32.f32]
  infermesh logits --model DIR --device cuda:0 --ids ids.json --out ours.f32
  python3 bench/peers/hf_teacher_forced.py compare --ours ours.f32 --theirs hf.f32 --vocab V [--margin 0.01] [--json out.json]

Logits files are raw little-endian float32, row-major [positions x vocab]. Needs torch (and transformers for
make-ids/reference); numpy is used when present, never required. `compare` is a measurement: it prints PASS/FAIL per
target and exits 0 either way.
"""
import argparse, json, math, os, struct, sys, time

import torch

# Fallback prompt text when --text is not given: English prose in the public domain (Lewis Carroll, 1865).
TEXT = """Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once
or twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, "and
what is the use of a book," thought Alice "without pictures or conversations?" So she was considering in her own
mind (as well as she could, for the hot day made her feel very sleepy and stupid), whether the pleasure of making a
daisy-chain would be worth the trouble of getting up and picking the daisies, when suddenly a White Rabbit with pink
eyes ran close by her. There was nothing so very remarkable in that; nor did Alice think it so very much out of the
way to hear the Rabbit say to itself, "Oh dear! Oh dear! I shall be late!" (when she thought it over afterwards, it
occurred to her that she ought to have wondered at this, but at the time it all seemed quite natural); but when the
Rabbit actually took a watch out of its waistcoat-pocket, and looked at it, and then hurried on, Alice started to
her feet, for it flashed across her mind that she had never before seen a rabbit with either a waistcoat-pocket, or
a watch to take out of it, and burning with curiosity, she ran across the field after it, and fortunately was just
in time to see it pop down a large rabbit-hole under the hedge. In another moment down went Alice after it, never
once considering how in the world she was to get out again. The rabbit-hole went straight on like a tunnel for some
way, and then dipped suddenly down, so suddenly that Alice had not a moment to think about stopping herself before
she found herself falling down a very deep well."""


def log(msg):
    print(f"[hf_teacher_forced] {msg}", file=sys.stderr, flush=True)


def vocab_size(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    return int(config.get("vocab_size") or config["text_config"]["vocab_size"])


def config_special_ids(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)
    ids = set()
    for key in ("bos_token_id", "eos_token_id", "pad_token_id"):
        value = config.get(key)
        ids.update(value if isinstance(value, list) else [] if value is None else [value])
    return ids


def load_tokenizer(model_dir):
    if not os.path.exists(os.path.join(model_dir, "tokenizer.json")) and not os.path.exists(os.path.join(model_dir, "tokenizer_config.json")):
        return None
    try:
        from transformers import AutoTokenizer
        return AutoTokenizer.from_pretrained(model_dir)
    except Exception as e:  # a folder without a usable tokenizer falls back to random ids
        log(f"no usable tokenizer in {model_dir} ({e}); using random ids")
        return None


def make_ids(args):
    vocab = vocab_size(args.model_dir)
    n = args.tokens
    gen = torch.Generator().manual_seed(args.seed)
    tokenizer = load_tokenizer(args.model_dir)
    special = config_special_ids(args.model_dir)
    if tokenizer is not None:
        special.update(getattr(tokenizer, "all_special_ids", []))
    ids, source = None, ""
    if tokenizer is not None:
        text = TEXT
        if args.text:
            with open(args.text, encoding="utf-8", errors="replace") as f:
                text = f.read(400_000)
        body = [i for i in tokenizer.encode(text, add_special_tokens=False) if i not in special and 0 <= i < vocab]
        text_tokens = len(body)
        if body:
            bos = tokenizer.bos_token_id
            head = [bos] if bos is not None and 0 <= bos < vocab else []
            need = n - len(head)
            # The seed picks where in the text the prompt starts; a short text repeats.
            start = int(torch.randint(0, max(1, len(body) - need), (1,), generator=gen)) if len(body) > need else 0
            while len(body) < start + need:
                body = body + body
            ids = (head + body[start:start + need])[:n]
            source = f"text {args.text or 'built-in passage'} (offset {start} of {text_tokens} tokens{', BOS first' if head else ''})"
    if ids is None:
        allowed = torch.ones(vocab, dtype=torch.bool)
        for s in special:
            if 0 <= s < vocab:
                allowed[s] = False
        pool = allowed.nonzero().flatten()
        ids = pool[torch.randint(0, len(pool), (n,), generator=gen)].tolist()
        source = f"random ids in [0, {vocab}) without special tokens, seed {args.seed}"
    assert len(ids) == n, (len(ids), n)
    with open(args.out, "w") as f:
        json.dump(ids, f)
    log(f"{n} ids from {source} -> {args.out}")


def write_f32(tensor, path):
    """Writes a 2-D tensor as raw little-endian float32, row-major."""
    t = tensor.detach().to("cpu", torch.float32).contiguous()
    try:
        import numpy as np
        t.numpy().astype("<f4", copy=False).tofile(path)
        return
    except (ImportError, RuntimeError):  # no numpy, or a torch built without it
        pass
    with open(path, "wb") as f:
        for row in t:
            f.write(struct.pack(f"<{row.numel()}f", *row.tolist()))


def read_f32(path, vocab):
    size = os.path.getsize(path)
    if size == 0 or size % (4 * vocab):
        raise SystemExit(f"{path}: {size} bytes is not a whole, non-zero number of float32 rows of vocab {vocab}")
    with open(path, "rb") as f:
        data = bytearray(f.read())
    t = torch.frombuffer(data, dtype=torch.float32)
    if sys.byteorder != "little":
        t = torch.tensor(struct.unpack(f"<{size // 4}f", bytes(data)), dtype=torch.float32)
    return t.view(-1, vocab)


def reference(args):
    from transformers import AutoModelForCausalLM

    with open(args.ids) as f:
        ids = json.load(f)
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32, "auto": "auto"}[args.dtype]
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=dtype, attn_implementation=args.attn).to(device).eval()
    loaded = next(model.parameters()).dtype
    log(f"loaded {args.model_dir} as {loaded} on {device} in {time.perf_counter() - t0:.1f} s")
    # transformers before 4.56 ignores dtype= (it wanted torch_dtype=) and loads fp32: refuse rather than compare that.
    if dtype != "auto" and loaded != dtype:
        raise SystemExit(f"asked for {dtype} but transformers loaded {loaded}; this script needs transformers >= 4.56")
    x = torch.tensor([ids], dtype=torch.long, device=device)
    with torch.inference_mode():
        t0 = time.perf_counter()
        # transformers' own causal-LM forward over every position; a hook keeps lm_head's input (the final hidden
        # states) so the same states can also go through an fp32 head.
        head = model.get_output_embeddings()
        captured = []
        hook = head.register_forward_hook(lambda module, inputs, output: captured.append(inputs[0]))
        try:
            logits = model(input_ids=x, use_cache=False).logits[0]
        finally:
            hook.remove()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        log(f"forward over {len(ids)} tokens: {(time.perf_counter() - t0) * 1000:.0f} ms; logits {tuple(logits.shape)} {logits.dtype}")
        write_f32(logits, args.out)
        if args.fp32_head_out and not captured:
            log(f"lm_head's input was not seen (called without positional input?); {args.fp32_head_out} not written")
        elif args.fp32_head_out:
            # The same hidden states through lm_head in fp32 (no rounding of the logits to bf16), as InferMesh writes them.
            bias = None if head.bias is None else head.bias.float()
            write_f32(torch.nn.functional.linear(captured[0][0].float(), head.weight.float(), bias), args.fp32_head_out)
    log(f"wrote {args.out}" + (f" and {args.fp32_head_out}" if args.fp32_head_out and captured else ""))


def compare(args):
    ours, theirs = read_f32(args.ours, args.vocab), read_f32(args.theirs, args.vocab)
    if ours.shape != theirs.shape:
        raise SystemExit(f"shapes differ: ours {tuple(ours.shape)}, theirs {tuple(theirs.shape)}")
    n = ours.shape[0]
    # NaN compares false and sorts anywhere: a NaN or inf anywhere fails the comparison outright.
    bad = {name: int((~torch.isfinite(t)).any(dim=1).sum()) for name, t in (("ours", ours), ("theirs", theirs))}
    cos, agree, eligible, max_abs, worst = [], 0, 0, 0.0, []
    for start in range(0, n, 64):
        a = ours[start:start + 64].double()
        b = theirs[start:start + 64].double()
        cos += torch.nn.functional.cosine_similarity(a, b, dim=1, eps=1e-30).tolist()
        max_abs = max(max_abs, float((a - b).abs().max()))
        top2 = b.topk(2, dim=1)
        margin = top2.values[:, 0] - top2.values[:, 1]
        same = a.argmax(dim=1) == top2.indices[:, 0]
        keep = margin > args.margin
        eligible += int(keep.sum())
        agree += int((same & keep).sum())
        for i in (~same & keep).nonzero().flatten().tolist():
            worst.append((start + i, int(a[i].argmax()), int(top2.indices[i, 0]), float(margin[i])))
    ranked = sorted(cos)
    p1 = ranked[int(math.floor(0.01 * (n - 1)))]
    top1 = agree / eligible if eligible else float("nan")
    finite = bad["ours"] == 0 and bad["theirs"] == 0
    cos_pass = finite and all(c >= args.min_cosine for c in cos)
    top1_pass = finite and eligible > 0 and top1 >= args.min_top1
    result = {
        "positions": n, "vocab": args.vocab, "margin": args.margin,
        "cosine_min": ranked[0], "cosine_p1": p1, "cosine_mean": sum(cos) / n,
        "argmin_position": cos.index(ranked[0]),
        "top1_agreement": top1, "top1_positions": eligible, "top1_agree": agree,
        "max_abs_delta": max_abs,
        "cosine_pass": cos_pass, "top1_pass": top1_pass,
        "positions_not_finite": bad,
        "disagreements": [{"position": p, "ours": o, "theirs": t, "their_margin": m} for p, o, t, m in worst[:20]],
        "ours": args.ours, "theirs": args.theirs,
    }
    verdict = lambda ok: "**PASS**" if ok else "**FAIL**"
    lines = [
        f"Teacher-forced logits over {n} positions (vocab {args.vocab}): ours `{os.path.basename(args.ours)}` vs transformers `{os.path.basename(args.theirs)}`",
        "",
        "| measure | value | target | result |",
        "|---|---|---|---|",
        f"| cosine, min over positions (at position {result['argmin_position']}) | {ranked[0]:.6f} | >= {args.min_cosine} at every position | {verdict(cos_pass)} |",
        f"| cosine, 1st percentile | {p1:.6f} | | |",
        f"| cosine, mean | {result['cosine_mean']:.6f} | | |",
        f"| top-1 agreement where their top-1/top-2 margin > {args.margin} | {top1:.2%} ({agree} of {eligible} positions) | >= {args.min_top1:.0%} | {verdict(top1_pass)} |",
        f"| positions with margin > {args.margin} | {eligible} of {n} | | |",
        f"| max abs logit difference | {max_abs:.4f} | | |",
        f"| positions with a NaN or inf logit | ours {bad['ours']}, theirs {bad['theirs']} | 0 | {verdict(finite)} |",
    ]
    if worst:
        lines += ["", "top-1 disagreements (position: ours / theirs, their margin): " + ", ".join(f"{p}: {o} / {t} ({m:.3f})" for p, o, t, m in worst[:10])]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make-ids", help="deterministic prompt ids (JSON array) for a model folder")
    m.add_argument("model_dir")
    m.add_argument("--tokens", type=int, default=512)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--text", help="English text file to tokenize (default: a built-in passage)")
    m.add_argument("--out", required=True)
    r = sub.add_parser("reference", help="transformers' logits of every position, as raw float32")
    r.add_argument("model_dir")
    r.add_argument("--ids", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--fp32-head-out", help="also write the same final hidden states through lm_head in fp32")
    r.add_argument("--dtype", choices=["bf16", "fp16", "fp32", "auto"], default="bf16")
    r.add_argument("--attn", default="sdpa", help="attn_implementation")
    r.add_argument("--device", help="cuda (default when available) or cpu")
    c = sub.add_parser("compare", help="per-position cosine and top-1 agreement of two logits files")
    c.add_argument("--ours", required=True)
    c.add_argument("--theirs", required=True)
    c.add_argument("--vocab", type=int, required=True)
    c.add_argument("--margin", type=float, default=0.01)
    c.add_argument("--min-cosine", type=float, default=0.999)
    c.add_argument("--min-top1", type=float, default=0.99)
    c.add_argument("--json")
    args = p.parse_args()
    return {"make-ids": make_ids, "reference": reference, "compare": compare}[args.command](args) or 0


if __name__ == "__main__":
    sys.exit(main())
