using InferMesh.Contracts;

namespace InferMesh.Gateway.Tools;

/// <summary>
/// How one request's replies are read for tool calls: which parser (the <see cref="GatewayOptions.ToolCallParser"/>
/// setting, or with "auto" the format the model's chat template points to) and whether several calls may stand.
/// </summary>
public sealed class ToolCalling(string parserSetting, bool parallelToolCalls)
{
    /// <summary>The settings <see cref="GatewayOptions.ToolCallParser"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Settings = ["auto", ToolCallFormats.Hermes, ToolCallFormats.Llama3Json, ToolCallFormats.Mistral, ToolCallFormats.None];

    /// <summary>The parser for a reply whose template pointed to <paramref name="detectedFormat"/>; null when calls are not looked for.</summary>
    public ToolCallParser? ParserFor(string? detectedFormat) => (parserSetting == "auto" ? detectedFormat : parserSetting) switch
    {
        ToolCallFormats.Hermes => new HermesToolCallParser(),
        ToolCallFormats.Llama3Json => new Llama3JsonToolCallParser(),
        ToolCallFormats.Mistral => new MistralToolCallParser(),
        _ => null,
    };

    /// <summary>The calls a reply may return: all of them, or with parallel_tool_calls false only the first.</summary>
    public IReadOnlyList<ParsedToolCall> Allowed(IReadOnlyList<ParsedToolCall> calls) => parallelToolCalls || calls.Count <= 1 ? calls : [calls[0]];
}
