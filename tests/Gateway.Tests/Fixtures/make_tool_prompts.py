"""Renders OpenAI-style tool-calling requests with real jinja2, set up as transformers sets it up
(tests/fixtures/templates/hf_environment.py), and writes tool_prompts.json, which
tests/Gateway.Tests/Tools/ToolPromptReferenceTests.cs must reproduce through the gateway: request -> session grain ->
chat template -> the prompt the engine receives.

The request is turned into template variables the way vLLM does it (vllm/entrypoints/chat_utils.py) with the choices
InferMesh documents in README.md ("Tool calling"):
  - tools are passed as {"type": "function", "function": {"name", "description"?, "parameters"?}} (absent fields left
    out, "strict" dropped); tool_choice "none" renders without tools; a named tool_choice renders only that tool;
  - an assistant message's null content is ""; tool_calls keep id/type/function, with arguments json.loads-ed;
  - a tool message keeps tool_call_id; "developer" is "system"; text parts are concatenated;
  - add_generation_prompt is true; bos_token/eos_token are the golden tiny-llama tokenizer's ("" and "<|im_end|>"),
    the tokenizer the test engine speaks through.

Run: python3 make_tool_prompts.py   (jinja2 3.1.x)
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "..", "fixtures", "templates")
sys.path.insert(0, TEMPLATES)

import jinja2  # noqa: E402

from hf_environment import make_env, render  # noqa: E402

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city, in °C",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}, "required": ["city"]},
    "strict": False}}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}
CALL_WEATHER = {"id": "call_w1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\", \"days\": 2}"}}
CALL_TIME = {"id": "call_t1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}

CASES = [
    ("qwen25_tools_first_turn", "qwen2.5-instruct.jinja", {
        "messages": [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Weather and time in Paris?"}],
        "tools": [WEATHER, TIME]}),
    ("qwen25_tool_round_trip", "qwen2.5-instruct.jinja", {
        "messages": [
            {"role": "user", "content": "Weather and time in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [CALL_WEATHER, CALL_TIME]},
            {"role": "tool", "tool_call_id": "call_w1", "content": "{\"temp\": 21.5}"},
            {"role": "tool", "tool_call_id": "call_t1", "content": [{"type": "text", "text": "12:00"}]}],
        "tools": [WEATHER, TIME]}),
    ("qwen25_named_tool_choice", "qwen2.5-instruct.jinja", {
        "messages": [{"role": "user", "content": "Time?"}],
        "tools": [WEATHER, TIME], "tool_choice": {"type": "function", "function": {"name": "get_time"}}}),
    ("qwen25_tool_choice_none", "qwen2.5-instruct.jinja", {
        "messages": [{"role": "user", "content": "Time?"}],
        "tools": [WEATHER, TIME], "tool_choice": "none"}),
    ("llama31_tools_first_turn", "llama-3.1-instruct.jinja", {
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [WEATHER]}),
    ("llama31_tool_round_trip", "llama-3.1-instruct.jinja", {
        "messages": [
            {"role": "system", "content": "You help with weather."},
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "tool_calls": [CALL_WEATHER]},
            {"role": "tool", "tool_call_id": "call_w1", "content": "{\"temp\": 21.5}"}],
        "tools": [WEATHER]}),
    ("mistral_v03_tool_round_trip", "mistral-instruct-v0.3.jinja", {
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [dict(CALL_WEATHER, id="abcDEF123")]},
            {"role": "tool", "tool_call_id": "abcDEF123", "content": "sunny"}],
        "tools": [WEATHER]}),
]


def template_tools(request):
    tools = request.get("tools") or []
    choice = request.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        tools = [t for t in tools if t["function"]["name"] == choice["function"]["name"]]
    out = []
    for tool in tools:
        function = {"name": tool["function"]["name"]}
        for key in ("description", "parameters"):
            if key in tool["function"]:
                function[key] = tool["function"][key]
        out.append({"type": "function", "function": function})
    return out


def template_message(message):
    content = message.get("content")
    if content is None:
        content = ""
    elif isinstance(content, list):
        content = "".join(part["text"] for part in content)
    role = "system" if message["role"] == "developer" else message["role"]
    result = {"role": role, "content": content}
    if message.get("tool_calls"):
        result["tool_calls"] = [{"id": c["id"], "type": "function", "function": {
            "name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"])}} for c in message["tool_calls"]]
    if role == "tool":
        result["tool_call_id"] = message["tool_call_id"]
    return result


def main():
    env = make_env()
    out = []
    for name, file, request in CASES:
        with open(os.path.join(TEMPLATES, file), encoding="utf-8") as f:
            source = f.read()
        context = {"messages": [template_message(m) for m in request["messages"]], "add_generation_prompt": True,
                   "bos_token": "", "eos_token": "<|im_end|>"}
        tools = template_tools(request)
        if tools is not None:
            context["tools"] = tools
        rendered = render(env, source, context)
        assert "expected" in rendered, (name, rendered)
        out.append({"name": name, "template_file": file, "request": request, "expected": rendered["expected"]})
    with open(os.path.join(HERE, "tool_prompts.json"), "w", encoding="utf-8") as f:
        json.dump({"jinja2_version": jinja2.__version__, "cases": out}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(out)} cases")


if __name__ == "__main__":
    main()
