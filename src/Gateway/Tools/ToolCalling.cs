using InferMesh.Contracts;
using InferMesh.Contracts.ToolCalls;
using InferMesh.Gateway.Requests;

namespace InferMesh.Gateway.Tools;

/// <summary>
/// How one request's replies are read for tool calls: which parser (the <see cref="GatewayOptions.ToolCallParser"/>
/// setting, or with "auto" the format the model's chat template points to), which functions a call may name
/// (<paramref name="functions"/>: the request's tools, or the one tool_choice names; null for any name) and whether
/// several calls may stand. A reply calling a function not among them is content. With a forced tool_choice
/// (<paramref name="choice"/> a named function or "required") the reply was decoded under
/// <see cref="ToolChoiceSchema"/> and is first read as that JSON (<see cref="ForcedCalls"/>).
/// </summary>
public sealed class ToolCalling(string parserSetting, bool parallelToolCalls, IReadOnlyCollection<string>? functions = null, ToolChoiceMode choice = ToolChoiceMode.Auto, string? choiceName = null)
{
    /// <summary>The settings <see cref="GatewayOptions.ToolCallParser"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Settings = ["auto", ToolCallFormats.Hermes, ToolCallFormats.Llama3Json, ToolCallFormats.Mistral, ToolCallFormats.None];

    /// <summary>The format a <see cref="GatewayOptions.ToolCallParser"/> setting forces; null for "auto" (the template decides).</summary>
    public static string? ForcedFormat(string parserSetting) => parserSetting == "auto" ? null : parserSetting;

    /// <summary>The parser for a reply whose template pointed to <paramref name="detectedFormat"/>; null when calls are not looked for.</summary>
    public ToolCallParser? ParserFor(string? detectedFormat) => ToolCallParser.For(ForcedFormat(parserSetting) ?? detectedFormat);

    /// <summary>Whether several calls may stand (else only the first is returned).</summary>
    public bool ParallelToolCalls => parallelToolCalls;

    /// <summary>The names a call may have; null for any.</summary>
    public IReadOnlyCollection<string>? Functions => functions;

    /// <summary>Whether tool_choice forces a call: replies are JSON for the call, held back whole while streaming.</summary>
    public bool Forced => choice is ToolChoiceMode.Function or ToolChoiceMode.Required;

    /// <summary>
    /// The calls a reply decoded under a forced tool_choice makes; null when tool_choice forces none or the reply is
    /// not of the forced shape (then it is read like any other reply). See <see cref="FinishReason"/> for the reason.
    /// </summary>
    public IReadOnlyList<ParsedToolCall>? ForcedCalls(string reply) =>
        Forced && ForcedToolCalls.Read(reply, choice, choiceName, functions ?? []) is { } calls ? Allowed(calls) : null;

    /// <summary>
    /// The finish_reason of a reply with <paramref name="calls"/> calls, as vLLM's serving_chat answers: "tool_calls"
    /// when the model's own call format was read, and under "required" when the reply stopped on its own; a named
    /// function keeps the reply's reason ("stop", as OpenAI answers a forced function). A reply cut off by max_tokens
    /// stays "length", as OpenAI reports it, so clients do not run a call whose arguments may be cut short.
    /// </summary>
    public string FinishReason(int calls, bool readAsForced, string replyReason) =>
        calls == 0 || replyReason == "length" ? replyReason
        : !readAsForced ? "tool_calls"
        : choice == ToolChoiceMode.Required && replyReason == "stop" ? "tool_calls"
        : replyReason;

    /// <summary>The calls a reply may return: all of them, or with parallel_tool_calls false only the first.</summary>
    public IReadOnlyList<ParsedToolCall> Allowed(IReadOnlyList<ParsedToolCall> calls) => parallelToolCalls || calls.Count <= 1 ? calls : [calls[0]];
}
