"""Hugging Face transformers as the side-by-side peer of `infermesh bench-engine`.

Same model folder, same prompts (SplitMix64 ids, see src/Cli/Benchmarks/EngineBenchmark.cs), same batch sizes
and token counts. Two modes: eager (dynamic cache) and static (generate(cache_implementation="static"), which
compiles the forward with CUDA graphs). Prints a markdown table and writes JSON.

  python3 bench/peers/hf_transformers.py --model DIR --batch 1,8,64 --context 512 --tokens 64 \
      --prefill 512,2048,8192 --modes eager,static --json out.json
"""
import argparse, json, sys, time

import torch
from transformers import AutoModelForCausalLM

MASK = (1 << 64) - 1


def prompt(length, vocab, seed):
    ids, x, rng = [], seed, min(vocab, 32000)
    for _ in range(length):
        x = (x + 0x9E3779B97F4A7C15) & MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        ids.append(z % rng)
    return ids


def sync():
    torch.cuda.synchronize()


def decode_rate(model, batch, context, tokens, vocab, mode):
    """Steady decode rate: time generate(N) and generate(N/2) after warming both shapes up (static mode compiles
    one graph per cache size), so their difference is N/2 decode steps with no prefill and no compilation in it."""
    ids = torch.tensor([prompt(context, vocab, 1000 + b) for b in range(batch)], device="cuda")
    kwargs = dict(do_sample=False, eos_token_id=None, pad_token_id=0)
    if mode == "static":
        kwargs["cache_implementation"] = "static"
    half = max(1, tokens // 2)
    times = {}
    for n in (tokens, half, tokens, half):
        sync()
        t0 = time.perf_counter()
        model.generate(ids, max_new_tokens=n, min_new_tokens=n, **kwargs)
        sync()
        times[n] = time.perf_counter() - t0  # the second pass (warm) overwrites the first
    decode = max(times[tokens] - times[half], 1e-9)
    steps = tokens - half
    return batch * steps / decode, decode * 1000 / steps


def prefill_ms(model, length, vocab):
    ids = torch.tensor([prompt(length, vocab, 7 + length)], device="cuda")
    with torch.no_grad():
        model(ids[:, :16])
        sync()
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            model(ids, logits_to_keep=1)
            sync()
            best = min(best, time.perf_counter() - t0)
    return best * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--batch", default="1")
    ap.add_argument("--context", type=int, default=512)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--prefill", default="")
    ap.add_argument("--modes", default="eager,static")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16, attn_implementation="sdpa").cuda().eval()
    vocab = model.config.vocab_size
    rows = []
    for mode in a.modes.split(","):
        for b in [int(x) for x in a.batch.split(",") if x]:
            try:
                rate, step = decode_rate(model, b, a.context, a.tokens, vocab, mode)
                rows.append({"what": f"decode batch {b}", "mode": mode, "tokens_per_s": rate, "step_ms": step})
            except Exception as e:  # report, never hide, a failing configuration
                rows.append({"what": f"decode batch {b}", "mode": mode, "error": str(e)[:200]})
            print(rows[-1], file=sys.stderr, flush=True)
    for n in [int(x) for x in a.prefill.split(",") if x]:
        rows.append({"what": f"prefill {n}", "mode": "eager", "ms": prefill_ms(model, n, vocab)})
        print(rows[-1], file=sys.stderr, flush=True)
    print("| measurement | transformers mode | value |\n|---|---|---|")
    for r in rows:
        v = r.get("error") or (f"{r['tokens_per_s']:.1f} tokens/s ({r['step_ms']:.2f} ms/step)" if "tokens_per_s" in r else f"{r['ms']:.1f} ms")
        print(f"| {r['what']} | {r['mode']} | {v} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"model": a.model, "device": torch.cuda.get_device_name(), "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
