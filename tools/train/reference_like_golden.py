"""Recompute a model folder's reference.json the way shared/golden/make_golden.py does for its bf16 model:
the model is held in bf16 (model.to(torch.bfloat16), which also rounds the rotary inv_freq buffer) and then cast
to float32 for the reference forward passes. Keeps each prompt's text and ids; recomputes last_logits, argmax and
the 24-token greedy continuation. Usage: python3 reference_like_golden.py MODEL_DIR"""
import json, os, sys
import torch
from transformers import AutoModelForCausalLM

d = sys.argv[1]
path = os.path.join(d, "reference.json")
ref = json.load(open(path))
model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.bfloat16).to(torch.bfloat16).float().eval()
for p in ref["prompts"]:
    x = torch.tensor([p["ids"]])
    with torch.no_grad():
        logits = model(x).logits[0].float()
        gen = model.generate(x, max_new_tokens=len(p["greedy"]) or 24, do_sample=False, eos_token_id=None, pad_token_id=0, repetition_penalty=1.0, temperature=None, top_p=None, top_k=None)[0, len(p["ids"]):].tolist()
    p["last_logits"] = logits[-1].tolist()
    p["argmax"] = logits.argmax(-1).tolist()
    p["greedy"] = gen
ref["dtype"] = "torch.float32 (from bf16 via model.to(bfloat16).float(), as make_golden.py)"
json.dump(ref, open(path, "w"))
print("rewrote", path, len(ref["prompts"]), "prompts")
