"""Writes hf_rope_reference.json: transformers' own rotary inverse frequencies (float32 bit patterns) and attention
scaling for configs covering every rope type InferMesh implements, both config.json rope forms and dynamic NTK at
several sequence lengths. Run where torch + transformers are installed (made with transformers 5.17.0, torch 2.11.0,
CPU): python3 make_rope_reference.py OUT_DIR
"""
import json, os, struct, sys
import torch, transformers
from transformers import LlamaConfig
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding


def params(**k):
    return dict(rope_parameters=k)


L3 = dict(low_freq_factor=1.0, high_freq_factor=4.0)
CASES = [
    ("default16", dict(head_dim=16, **params(rope_type="default", rope_theta=1e4))),
    ("default16_1e6", dict(head_dim=16, **params(rope_type="default", rope_theta=1e6))),
    ("default128_5e5", dict(head_dim=128, **params(rope_type="default", rope_theta=5e5))),
    ("default64_old", dict(head_dim=64, rope_theta=5e5)),
    ("linear128", dict(head_dim=128, **params(rope_type="linear", rope_theta=1e4, factor=4.0))),
    ("linear_type", dict(head_dim=64, rope_theta=1e4, rope_scaling=dict(type="linear", factor=2.0))),
    ("llama3_tiny", dict(head_dim=32, **params(rope_type="llama3", rope_theta=5e5, factor=8.0, original_max_position_embeddings=256, **L3))),
    ("llama3_8b", dict(head_dim=128, max_position_embeddings=131072, **params(rope_type="llama3", rope_theta=5e5, factor=8.0, original_max_position_embeddings=8192, **L3))),
    ("llama3_old", dict(head_dim=64, max_position_embeddings=131072, rope_theta=5e5, rope_scaling=dict(rope_type="llama3", factor=32.0, original_max_position_embeddings=8192, **L3))),
    ("yarn_qwen", dict(head_dim=128, max_position_embeddings=131072, **params(rope_type="yarn", rope_theta=1e6, factor=4.0, original_max_position_embeddings=32768))),
    ("yarn_notrunc", dict(head_dim=64, **params(rope_type="yarn", rope_theta=1e4, factor=8.0, original_max_position_embeddings=512, truncate=False, beta_fast=16.0, beta_slow=2.0))),
    ("yarn_mscale", dict(head_dim=64, max_position_embeddings=163840, **params(rope_type="yarn", rope_theta=1e4, factor=40.0, original_max_position_embeddings=4096, mscale=1.0, mscale_all_dim=0.5))),
    ("yarn_att", dict(head_dim=32, **params(rope_type="yarn", rope_theta=1e4, factor=2.0, original_max_position_embeddings=2048, attention_factor=0.75))),
    ("dynamic", dict(head_dim=64, max_position_embeddings=2048, **params(rope_type="dynamic", rope_theta=1e4, factor=2.0))),
]
BASE = dict(model_type="llama", hidden_size=128, intermediate_size=256, num_hidden_layers=1, num_attention_heads=4,
            num_key_value_heads=4, vocab_size=10)


def bits(t):
    return [struct.unpack("<I", struct.pack("<f", x))[0] for x in t.float().tolist()]


out = dict(transformers=transformers.__version__, torch=torch.__version__,
           cpu=torch.backends.cpu.get_cpu_capability(), cases=[])
for name, kw in CASES:
    config_json = {**BASE, **kw}
    config_json.setdefault("max_position_embeddings", 4096)
    config = LlamaConfig(**{k: v for k, v in config_json.items() if k != "model_type"})
    rotary = LlamaRotaryEmbedding(config)
    for seq in ([None, 1000, 2048, 2049, 5000] if "dynamic" in name else [None]):
        inv, att = (rotary.inv_freq, rotary.attention_scaling) if seq is None else ROPE_INIT_FUNCTIONS["dynamic"](config, None, seq_len=seq)
        out["cases"].append(dict(name=name, config=config_json, seq_len=seq, inv_freq_bits=bits(inv), attention_scaling=float(att)))
json.dump(out, open(os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.environ["OUT"], "hf_rope_reference.json"), "w"), indent=1)
print(out["transformers"], out["torch"], out["cpu"], len(out["cases"]))
