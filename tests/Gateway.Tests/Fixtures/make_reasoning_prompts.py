"""Renders conversations with reasoning models' real chat templates (tests/fixtures/templates/real/templates.json) with
real jinja2, set up as transformers sets it up (tests/fixtures/templates/hf_environment.py), and writes
reasoning_prompts.json, which tests/Gateway.Tests/Reasoning/ReasoningPromptReferenceTests.cs must reproduce through the
gateway and a session: the prompt the engine receives for the client's messages must be what apply_chat_template renders
for them.

Messages are passed as vLLM passes them: an assistant message's null content is "", reasoning_content only when sent,
tool_calls with arguments json.loads-ed; chat_template_kwargs are extra variables; add_generation_prompt is true;
bos_token/eos_token are the golden tiny-llama tokenizer's ("" and "<|im_end|>"), the tokenizer the test engine speaks
through.

Run: python3 make_reasoning_prompts.py   (jinja2 3.1.x)
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "..", "fixtures", "templates")
sys.path.insert(0, TEMPLATES)

import jinja2  # noqa: E402

from hf_environment import make_env, render  # noqa: E402

WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
U1 = {"role": "user", "content": "What is 2+2?"}
U2 = {"role": "user", "content": "And 3+3?"}
U3 = {"role": "user", "content": "Weather in Paris?"}
A_CONTENT = {"role": "assistant", "content": "4"}
A_REASONED = {"role": "assistant", "content": "4", "reasoning_content": "Two and two."}
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
A_CALL = {"role": "assistant", "content": "", "tool_calls": [CALL]}
A_CALL_REASONED = {**A_CALL, "reasoning_content": "Need the weather."}
RESULT = {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"}

CASES = [
    ("qwen3_history_content_only", "Qwen/Qwen3-0.6B", {"messages": [U1, A_CONTENT, U2]}),
    ("qwen3_history_with_reasoning", "Qwen/Qwen3-0.6B", {"messages": [U1, A_REASONED, U2]}),
    ("qwen3_thinking_disabled", "Qwen/Qwen3-0.6B", {"messages": [U1], "enable_thinking": False}),
    ("qwen3_tool_loop_with_reasoning", "Qwen/Qwen3-0.6B", {"messages": [U3, A_CALL_REASONED, RESULT], "tools": [WEATHER]}),
    ("qwen3_tool_loop_content_only", "Qwen/Qwen3-0.6B", {"messages": [U3, A_CALL, RESULT], "tools": [WEATHER]}),
    ("r1_distill_first_turn", "ollama/deepcoder:14b", {"messages": [U1]}),
    ("r1_distill_history", "ollama/deepcoder:14b", {"messages": [U1, A_CONTENT, U2]}),
    ("deepseek_r1_history", "deepseek-ai/DeepSeek-R1", {"messages": [U1, A_CONTENT, U2]}),
    ("qwq_history", "ollama/qwq:32b", {"messages": [U1, A_CONTENT, U2]}),
]


def main():
    with open(os.path.join(TEMPLATES, "real", "templates.json"), encoding="utf-8") as f:
        templates = json.load(f)
    env = make_env()
    out = {}
    for name, template, variables in CASES:
        context = {"bos_token": "", "eos_token": "<|im_end|>", "tools": None, "documents": None,
                   "add_generation_prompt": True, **json.loads(json.dumps(variables))}
        result = render(env, templates[template]["text"], context)
        assert "expected" in result, (name, result)
        out[name] = {"template": template, **variables, "expected": result["expected"]}
    with open(os.path.join(HERE, "reasoning_prompts.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out)} cases")


if __name__ == "__main__":
    main()
