"""Export a trained run as the Hugging Face folder InferMesh ships (models/infermesh-tiny/) and
compute its golden reference.json with transformers in float32.

  export.py --data DATA --run RUN --corpus CORPUS --out models/infermesh-tiny

The folder: config.json (llama, with rope_theta), bf16 weights sharded into model-*-of-*.safetensors
files under 16 MiB with model.safetensors.index.json, tokenizer.json, tokenizer_config.json and
chat_template.jinja (ChatML), generation_config.json (stops at <|im_end|> or <|endoftext|>).
reference.json has the format of tests/fixtures/golden/*/reference.json (make_golden.py): per prompt
the ids, float32 logits of the last position, argmax at every position and a 24-token greedy
continuation, plus the rendering of a chat template; everything computed from the saved folder.
"""
import argparse, glob, json, math, os, sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402

# identical to the golden fixtures' template (make_golden.py), so one C# renderer serves both
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
          "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}")
SHORT_PROMPTS = [
    "The quick brown fox jumps over the lazy dog.",
    "It is a truth universally acknowledged, that",
    "Once upon a time, in a small village by the sea,",
    "Debian is a free operating system",
    "Unicode: café naïve — 東京 🚀 ü",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is Debian?<|im_end|>\n<|im_start|>assistant\n",
]
SAMPLE_PROMPTS = [
    "It is a truth universally acknowledged, that",
    "The old man looked out of the window and",
    "In the beginning",
    "The most important thing about free software is",
    "<|im_start|>user\nHello! Who are you?<|im_end|>\n<|im_start|>assistant\n",
]
MAX_FILE = 16 * 2**20


def long_prompt(tok, corpus, n=300):
    """About n tokens of held-out prose: the first validation chapter of the novels."""
    with open(os.path.join(corpus, "valid.jsonl"), encoding="utf-8") as f:
        docs = [json.loads(l) for l in f]
    text = next((d["text"] for d in docs if d["src"] == "austen"), docs[0]["text"])
    words, out = text.split(" "), []
    for w in words:
        out.append(w)
        if len(tok.encode(" ".join(out)).ids) >= n:
            break
    return " ".join(out)


@torch.no_grad()
def greedy(model, ids, n=24):
    """Plain greedy decoding, recomputing the whole prefix each step (no cache, never stops at eos)."""
    seq = list(ids)
    for _ in range(n):
        logits = model(input_ids=torch.tensor([seq]), use_cache=False).logits[0, -1]
        seq.append(int(logits.argmax()))
    return seq[len(ids):]


def export(data, run, out, corpus, n_samples=5, device="cuda"):
    from tokenizers import Tokenizer
    from transformers import (AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LlamaForCausalLM,
                              PreTrainedTokenizerFast)
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "*")):
        if os.path.isfile(old) and not old.endswith("README.md"):
            os.remove(old)
    tok = Tokenizer.from_file(os.path.join(data, "tokenizer.json"))
    model = LlamaForCausalLM.from_pretrained(run, dtype=torch.float32)
    model.to(torch.bfloat16).save_pretrained(out, max_shard_size="15MB")

    cfg_path = os.path.join(out, "config.json")
    cfg = json.load(open(cfg_path))
    cfg.setdefault("rope_theta", cfg.get("rope_parameters", {}).get("rope_theta", 10000.0))  # for pre-v5 readers
    json.dump(cfg, open(cfg_path, "w"), indent=2, sort_keys=True)

    GenerationConfig(bos_token_id=None, eos_token_id=[T.IM_END, T.EOT], pad_token_id=T.EOT, do_sample=True,
                     temperature=0.8, top_p=0.95, top_k=50, repetition_penalty=1.1).save_pretrained(out)

    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=None, eos_token="<|im_end|>", unk_token=None,
                                   pad_token="<|endoftext|>", model_max_length=T.SEQ)
    fast.chat_template = CHATML
    fast.save_pretrained(out)
    tc_path = os.path.join(out, "tokenizer_config.json")
    tc = json.load(open(tc_path))
    tc["chat_template"] = CHATML  # also inside tokenizer_config.json, where pre-v5 readers look
    json.dump(tc, open(tc_path, "w"), indent=2, sort_keys=True)
    if not os.path.exists(os.path.join(out, "chat_template.jinja")):
        open(os.path.join(out, "chat_template.jinja"), "w").write(CHATML)
    for f in glob.glob(os.path.join(out, "*")):
        assert os.path.getsize(f) <= MAX_FILE, f"{f} is over 16 MiB"

    # ---- everything below reads the saved folder, as any user of it would
    m = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32).eval()
    t = AutoTokenizer.from_pretrained(out)
    assert type(m).__name__ == "LlamaForCausalLM", type(m)
    # the run's float32 model with its weights rounded to bf16 must compute what the folder computes
    # (not model.float(): .to(bf16) also rounded the non-persistent RoPE inv_freq buffer)
    check = LlamaForCausalLM.from_pretrained(run, dtype=torch.float32).eval()
    for p in check.parameters():
        p.data = p.data.to(torch.bfloat16).float()
    probe = torch.tensor([tok.encode(SHORT_PROMPTS[0]).ids])
    with torch.no_grad():
        same = (m(input_ids=probe).logits - check(input_ids=probe).logits).abs().max().item()
    assert same < 1e-4, f"reloaded folder computes different logits (max diff {same})"

    prompts = [long_prompt(tok, corpus)] + SHORT_PROMPTS
    ref = {"model": os.path.basename(os.path.normpath(out)), "dtype": str(next(m.parameters()).dtype), "prompts": []}
    for p in prompts:
        ids = tok.encode(p).ids
        hf_ids = t(p, add_special_tokens=True)["input_ids"]
        assert hf_ids == ids, f"AutoTokenizer encodes {p[:40]!r} differently: {hf_ids[:10]} vs {ids[:10]}"
        with torch.no_grad():
            logits = m(input_ids=torch.tensor([ids])).logits[0].float()
        ref["prompts"].append({"text": p, "ids": ids, "last_logits": logits[-1].tolist(),
                               "argmax": logits.argmax(-1).tolist(), "greedy": greedy(m, ids)})
    msgs = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi there"}]
    ref["chat_template_render"] = t.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert ref["chat_template_render"] == ("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\n"
                                           "Hi there<|im_end|>\n<|im_start|>assistant\n")
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)

    # ---- held-out loss of the shipped weights (bf16 rounded, computed in float32) and samples
    summary = {"params": sum(p.numel() for p in m.parameters()),
               "files": {os.path.basename(f): os.path.getsize(f) for f in sorted(glob.glob(os.path.join(out, "*")))}}
    dev = device if torch.cuda.is_available() else "cpu"
    meta = json.load(open(os.path.join(data, "meta.json")))
    valid = T.load_stream(data, "valid", dev)
    m_dev = m.to(dev)
    nats, n = T.evaluate(m_dev, valid, meta["vocab"], amp=False)
    summary.update(export_val_loss=nats / n, export_val_ppl=math.exp(nats / n),
                   export_val_bpb=nats / math.log(2) / meta["valid_bytes"])
    samples = []
    for i, p in enumerate(SAMPLE_PROMPTS[:n_samples]):
        ids = torch.tensor([tok.encode(p).ids], device=dev)
        torch.manual_seed(i)
        s = m_dev.generate(ids, do_sample=True, temperature=0.8, top_p=0.95, top_k=50, repetition_penalty=1.1,
                           max_new_tokens=80, eos_token_id=[T.IM_END, T.EOT], pad_token_id=T.EOT)
        g = m_dev.generate(ids, do_sample=False, repetition_penalty=1.1, max_new_tokens=60,
                           eos_token_id=[T.IM_END, T.EOT], pad_token_id=T.EOT)
        samples.append({"prompt": p, "sampled": tok.decode(s[0, ids.shape[1]:].tolist(), skip_special_tokens=False),
                        "greedy_rep1.1": tok.decode(g[0, ids.shape[1]:].tolist(), skip_special_tokens=False)})
    summary["samples"] = samples
    json.dump(summary, open(os.path.normpath(out) + "-summary.json", "w"), indent=1, ensure_ascii=False)
    T.log("export", json.dumps({k: v for k, v in summary.items() if k != "samples"}))
    for s in samples:
        T.log("sample", json.dumps(s, ensure_ascii=False))
    return summary


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True); ap.add_argument("--run", required=True)
    ap.add_argument("--corpus", required=True); ap.add_argument("--out", required=True)
    ap.add_argument("--samples", type=int, default=5)
    a = ap.parse_args()
    export(a.data, a.run, a.out, a.corpus, a.samples)
