using System.Text;
using InferMesh.Contracts;

namespace InferMesh.Gateway.Tests;

/// <summary>
/// Malformed and hostile requests with the status, OpenAI error code and param each must get. Expectations follow
/// OpenAI's API (400 invalid_request_error with the offending param, 401 invalid_api_key, 404 model_not_found, 413
/// for bodies over the limit); codes marked null are only checked for the error shape.
/// </summary>
public static class HostileCorpus
{
    public const string Model = "scripted-model";

    /// <summary>A session of tenant alice that exists before the corpus runs.</summary>
    public const string AliceSession = "alice-private";

    /// <summary>A chunk tenant alice registered before the corpus runs.</summary>
    public const string AliceChunkText = "alice's private chunk";

    private const string Chat = "/v1/chat/completions";
    private const string Chunks = "/v1/chunks";
    private const string Completions = "/v1/completions";
    private const string Msgs = """[{"role":"user","content":"hi"}]""";

    public static IReadOnlyList<HostileRequest> All { get; } = Build();

    public static IEnumerable<TheoryDataRow<string>> Names => All.Select(r => new TheoryDataRow<string>(r.Name));

    public static HostileRequest Get(string name) => All.Single(r => r.Name == name);

    public static string AliceChunkId => ChunkKey.ForText(Model, CacheNamespaces.ForTenant("alice"), AliceChunkText).Id;

    private static string JsonSchemaFormat(string name, string schema) =>
        $$$"""
        "response_format":{"type":"json_schema","json_schema":{"name":"{{{name}}}","schema":{{{schema}}},"strict":true}}
        """.Trim();

    private static string ChatBody(string fields) => $$"""{"model":"{{Model}}","messages":{{Msgs}}{{(fields.Length > 0 ? "," + fields : "")}}}""";

    private static List<HostileRequest> Build()
    {
        var deep = new StringBuilder();
        for (var i = 0; i < 100; i++)
        {
            deep.Append("{\"a\":");
        }

        deep.Append('1').Append('}', 100);
        var huge = ChatBody($$"""  "user":"{{new string('x', 70_000)}}" """.Trim());

        return
        [
            // Authentication
            new("no Authorization header", "POST", Chat, ChatBody(""), 401, "invalid_api_key") { Key = null },
            new("wrong API key", "POST", Chat, ChatBody(""), 401, "invalid_api_key") { Key = "sk-mallory" },
            new("Basic instead of Bearer", "POST", Chat, ChatBody(""), 401, "invalid_api_key") { Authorization = "Basic c2stYWxpY2U6" },
            new("Bearer with no key", "POST", Chat, ChatBody(""), 401, "invalid_api_key") { Authorization = "Bearer " },
            new("key with a prefix of a valid key", "POST", Chat, ChatBody(""), 401, "invalid_api_key") { Key = "sk-alic" },
            new("models list without a key", "GET", "/v1/models", null, 401, "invalid_api_key") { Key = null },

            // Body is not a JSON object
            new("empty body", "POST", Chat, "", 400, "invalid_json"),
            new("truncated JSON", "POST", Chat, """{"model":""", 400, "invalid_json"),
            new("JSON array at top level", "POST", Chat, "[1,2,3]", 400, "invalid_json"),
            new("JSON string at top level", "POST", Chat, "\"hello\"", 400, "invalid_json"),
            new("JSON null at top level", "POST", Chat, "null", 400, "invalid_json"),
            new("trailing garbage after JSON", "POST", Chat, ChatBody("") + " trailing", 400, "invalid_json"),
            new("comments in JSON", "POST", Chat, "{/* hi */\"model\":\"m\"}", 400, "invalid_json"),
            new("invalid UTF-8 bytes", "POST", Chat, null, 400, "invalid_unicode", "model") { RawBody = [.. "{\"model\":\""u8, 0xC3, 0x28, 0xFF, .. "\"}"u8] },
            new("JSON nested 100 deep", "POST", Chat, deep.ToString(), 400, "invalid_json"),
            new("NaN literal", "POST", Chat, ChatBody("\"temperature\":NaN"), 400, "invalid_json"),
            new("single-quoted JSON", "POST", Chat, "{'model':'m'}", 400, "invalid_json"),

            // Model
            new("missing model", "POST", Chat, $$"""{"messages":{{Msgs}}}""", 400, "missing_required_parameter", "model"),
            new("model is a number", "POST", Chat, $$"""{"model":42,"messages":{{Msgs}}}""", 400, "invalid_type", "model"),
            new("model is empty", "POST", Chat, $$"""{"model":"","messages":{{Msgs}}}""", 400, null, "model"),
            new("model name 1000 characters", "POST", Chat, $$"""{"model":"{{new string('m', 1000)}}","messages":{{Msgs}}}""", 400, "string_above_max_length", "model"),
            new("unknown model", "POST", Chat, $$"""{"model":"gpt-17","messages":{{Msgs}}}""", 404, "model_not_found", "model"),
            new("unknown model on completions", "POST", Completions, """{"model":"gpt-17","prompt":"hi"}""", 404, "model_not_found", "model"),
            new("unknown model by id", "GET", "/v1/models/gpt-17", null, 404, "model_not_found", "model"),

            // Messages
            new("missing messages", "POST", Chat, $$"""{"model":"{{Model}}"}""", 400, "missing_required_parameter", "messages"),
            new("messages is a string", "POST", Chat, $$"""{"model":"{{Model}}","messages":"hi"}""", 400, "invalid_type", "messages"),
            new("messages is empty", "POST", Chat, $$"""{"model":"{{Model}}","messages":[]}""", 400, "empty_array", "messages"),
            new("message is a number", "POST", Chat, $$"""{"model":"{{Model}}","messages":[7]}""", 400, "invalid_type", "messages[0]"),
            new("message without role", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"content":"hi"}]}""", 400, "missing_required_parameter", "messages[0].role"),
            new("message with unknown role", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"wizard","content":"hi"}]}""", 400, "invalid_value", "messages[0].role"),
            new("message without content", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user"}]}""", 400, "missing_required_parameter", "messages[0].content"),
            new("user message with null content", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user","content":null}]}""", 400, "missing_required_parameter", "messages[0].content"),
            new("content is a number", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user","content":3.5}]}""", 400, "invalid_type", "messages[0].content"),
            new("image content part", "POST", Chat, $$$"""{"model":"{{{Model}}}","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x"}}]}]}""", 400, "unsupported_content_type", "messages[0].content[0].type"),
            new("text part without text", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user","content":[{"type":"text"}]}]}""", 400, "missing_required_parameter", "messages[0].content[0].text"),
            new("unknown field inside a message", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user","content":"hi","mood":"angry"}]}""", 400, "unknown_parameter", "messages[0].mood"),
            new("lone surrogate as an unknown field's name", "POST", Chat, $$"""{"model":"{{Model}}","messages":{{Msgs}},"\ud800":1}""", 400, "invalid_unicode"),
            new("lone surrogate as a nested unknown field's name", "POST", Chat, $$$"""{"model":"{{{Model}}}","messages":{{{Msgs}}},"stream":true,"stream_options":{"\udc00":true}}""", 400, "invalid_unicode", "stream_options"),
            new("lone surrogate in content", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user","content":"\ud800 broken"}]}""", 400, "invalid_unicode", "messages[0].content"),
            new("tool call without its function", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"assistant","content":"x","tool_calls":[{"id":"1"}]}]}""", 400, "missing_required_parameter", "messages[0].tool_calls[0].function"),
            new("tool call arguments that are not json text", "POST", Chat, $$$"""{"model":"{{{Model}}}","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{city: Paris"}}]}]}""", 400, "invalid_value", "messages[0].tool_calls[0].function.arguments"),
            new("tool call arguments as an object instead of text", "POST", Chat, $$$$"""{"model":"{{{{Model}}}}","messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":{"a":1}}}]}]}""", 400, "invalid_type", "messages[0].tool_calls[0].function.arguments"),
            new("tool calls on a user message", "POST", Chat, $$$"""{"model":"{{{Model}}}","messages":[{"role":"user","content":"x","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}""", 400, "invalid_value", "messages[0].tool_calls"),
            new("tool message without tool_call_id", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"tool","content":"22"}]}""", 400, "missing_required_parameter", "messages[0].tool_call_id"),
            new("legacy function_call in a message", "POST", Chat, $$$"""{"model":"{{{Model}}}","messages":[{"role":"assistant","content":"x","function_call":{"name":"f","arguments":"{}"}}]}""", 400, "unsupported_parameter", "messages[0].function_call"),

            // Sampling parameters
            new("temperature is a string", "POST", Chat, ChatBody("\"temperature\":\"hot\""), 400, "invalid_type", "temperature"),
            new("temperature above 2", "POST", Chat, ChatBody("\"temperature\":5"), 400, "decimal_above_max_value", "temperature"),
            new("negative temperature", "POST", Chat, ChatBody("\"temperature\":-1"), 400, "decimal_below_min_value", "temperature"),
            new("top_p above 1", "POST", Chat, ChatBody("\"top_p\":1.5"), 400, "decimal_above_max_value", "top_p"),
            new("top_p zero", "POST", Chat, ChatBody("\"top_p\":0"), 400, "decimal_below_min_value", "top_p"),
            new("top_k below -1", "POST", Chat, ChatBody("\"top_k\":-7"), 400, "integer_below_min_value", "top_k"),
            new("negative max_tokens", "POST", Chat, ChatBody("\"max_tokens\":-5"), 400, "integer_below_min_value", "max_tokens"),
            new("zero max_tokens", "POST", Chat, ChatBody("\"max_tokens\":0"), 400, "integer_below_min_value", "max_tokens"),
            new("huge max_tokens", "POST", Chat, ChatBody("\"max_tokens\":1000000000000"), 400, "integer_above_max_value", "max_tokens"),
            new("max_tokens beyond 64 bits", "POST", Chat, ChatBody("\"max_tokens\":1e400"), 400, null, "max_tokens"),
            new("fractional max_tokens", "POST", Chat, ChatBody("\"max_tokens\":10.5"), 400, "invalid_type", "max_tokens"),
            new("max_tokens as a string", "POST", Chat, ChatBody("\"max_tokens\":\"100\""), 400, "invalid_type", "max_tokens"),
            new("max_tokens and max_completion_tokens disagree", "POST", Chat, ChatBody("\"max_tokens\":10,\"max_completion_tokens\":20"), 400, null, "max_completion_tokens"),
            new("huge max_completion_tokens", "POST", Chat, ChatBody("\"max_completion_tokens\":9999999"), 400, "integer_above_max_value", "max_completion_tokens"),
            new("n zero", "POST", Chat, ChatBody("\"n\":0"), 400, "integer_below_min_value", "n"),
            new("n a thousand", "POST", Chat, ChatBody("\"n\":1000"), 400, "integer_above_max_value", "n"),
            new("seed fractional", "POST", Chat, ChatBody("\"seed\":1.5"), 400, "invalid_type", "seed"),
            new("presence_penalty above 2", "POST", Chat, ChatBody("\"presence_penalty\":3"), 400, "decimal_above_max_value", "presence_penalty"),
            new("five stop sequences", "POST", Chat, ChatBody("\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]"), 400, "array_above_max_length", "stop"),
            new("stop is a number", "POST", Chat, ChatBody("\"stop\":5"), 400, "invalid_type", "stop"),
            new("empty stop string", "POST", Chat, ChatBody("\"stop\":\"\""), 400, null, "stop"),
            new("logprobs is a string", "POST", Chat, ChatBody("\"logprobs\":\"yes\""), 400, "invalid_type", "logprobs"),
            new("top_logprobs without logprobs", "POST", Chat, ChatBody("\"top_logprobs\":3"), 400, null, "top_logprobs"),
            new("top_logprobs above 20", "POST", Chat, ChatBody("\"logprobs\":true,\"top_logprobs\":50"), 400, "integer_above_max_value", "top_logprobs"),
            new("stream is a string", "POST", Chat, ChatBody("\"stream\":\"true\""), 400, "invalid_type", "stream"),
            new("stream_options without stream", "POST", Chat, ChatBody("\"stream_options\":{\"include_usage\":true}"), 400, null, "stream_options"),
            new("stream_options is a string", "POST", Chat, ChatBody("\"stream\":true,\"stream_options\":\"usage\""), 400, "invalid_type", "stream_options"),
            new("unknown top-level field", "POST", Chat, ChatBody("\"frobnicate\":true"), 400, "unknown_parameter", "frobnicate"),
            new("tool without its function", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\"}]"), 400, "missing_required_parameter", "tools[0].function"),
            new("tool of an unknown type", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"web_search\",\"function\":{\"name\":\"f\"}}]"), 400, "invalid_value", "tools[0].type"),
            new("tool function without a name", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"description\":\"d\"}}]"), 400, "missing_required_parameter", "tools[0].function.name"),
            new("tool function name with spaces", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get weather\"}}]"), 400, "invalid_value", "tools[0].function.name"),
            new("tool parameters that are not an object", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":\"{}\"}}]"), 400, "invalid_type", "tools[0].function.parameters"),
            new("two tools with one name", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}},{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]"), 400, "duplicate_tool_name", "tools[1].function.name"),
            new("more tools than the limit", "POST", Chat, ChatBody("\"tools\":[" + string.Join(",", Enumerable.Range(0, 129).Select(i => $$$"""{"type":"function","function":{"name":"f{{{i}}}"}}""")) + "]"), 400, "array_above_max_length", "tools"),
            new("a tool schema above the size limit", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"description\":\"" + new string('x', 33_000) + "\"}}}]"), 400, "schema_too_large", "tools[0].function.parameters"),
            new("tool_choice naming a function that is not a tool", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"g\"}}"), 400, "invalid_value", "tool_choice.function.name"),
            new("tool_choice of an unknown mode", "POST", Chat, ChatBody("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}],\"tool_choice\":\"always\""), 400, "invalid_value", "tool_choice"),
            new("parallel_tool_calls is a string", "POST", Chat, ChatBody("\"parallel_tool_calls\":\"yes\""), 400, "invalid_type", "parallel_tool_calls"),
            new("legacy functions", "POST", Chat, ChatBody("\"functions\":[{\"name\":\"f\"}]"), 400, "unsupported_parameter", "functions"),
            new("an empty web_search_options object (it would turn search on)", "POST", Chat, ChatBody("\"web_search_options\":{}"), 400, "unsupported_parameter", "web_search_options"),
            new("tool_choice as an empty object", "POST", Chat, ChatBody("\"tool_choice\":{}"), 400, "missing_required_parameter", "tool_choice.type"),
            new("tool_choice required without tools", "POST", Chat, ChatBody("\"tool_choice\":\"required\""), 400, "invalid_value", "tool_choice"),
            new("logit_bias above 100", "POST", Chat, ChatBody("\"logit_bias\":{\"5\":150}"), 400, null, "logit_bias"),
            new("logit_bias key is not a token id", "POST", Chat, ChatBody("\"logit_bias\":{\"hello\":1}"), 400, null, "logit_bias"),
            new("logit_bias negative token id", "POST", Chat, ChatBody("\"logit_bias\":{\"-3\":1}"), 400, null, "logit_bias"),
            new("logit_bias value is a string", "POST", Chat, ChatBody("\"logit_bias\":{\"5\":\"1\"}"), 400, null, "logit_bias"),
            new("logit_bias is an array", "POST", Chat, ChatBody("\"logit_bias\":[5]"), 400, "invalid_type", "logit_bias"),
            new("json_schema without its json_schema object", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"json_schema\"}"), 400, "missing_required_parameter", "response_format.json_schema"),
            new("json_schema without a name", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{}}"), 400, "missing_required_parameter", "response_format.json_schema.name"),
            new("json_schema name with a space", "POST", Chat, ChatBody(JsonSchemaFormat("my schema", "{}")), 400, "invalid_value", "response_format.json_schema.name"),
            new("json_schema name 65 characters", "POST", Chat, ChatBody(JsonSchemaFormat(new string('n', 65), "{}")), 400, "invalid_value", "response_format.json_schema.name"),
            new("json_schema without a schema", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\"}}"), 400, "missing_required_parameter", "response_format.json_schema.schema"),
            new("json_schema schema is a string", "POST", Chat, ChatBody(JsonSchemaFormat("s", "\"{}\"")), 400, "invalid_type", "response_format.json_schema.schema"),
            new("json_schema schema over the size limit", "POST", Chat, ChatBody(JsonSchemaFormat("s", $"{{\"description\":\"{new string('d', 20_000)}\"}}")), 400, "string_above_max_length", "response_format.json_schema.schema"),
            new("json_schema strict is a string", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{},\"strict\":\"yes\"}}"), 400, "invalid_type", "strict"),
            new("json_schema with an unknown envelope field", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"s\",\"schema\":{},\"format\":1}}"), 400, "unknown_parameter", "format"),
            new("json_schema with a lone surrogate escape in an enum", "POST", Chat, ChatBody(JsonSchemaFormat("s", "{\"enum\":[\"\\ud800\"]}")), 400, "invalid_unicode", "response_format.json_schema.schema"),
            new("json_schema with a lone surrogate escape in required", "POST", Chat, ChatBody(JsonSchemaFormat("s", "{\"type\":\"object\",\"required\":[\"\\udc00\"]}")), 400, "invalid_unicode", "response_format.json_schema.schema"),
            new("response_format of an unknown type", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"yaml\"}"), 400, null, "response_format.type"),
            new("response_format is a string", "POST", Chat, ChatBody("\"response_format\":\"json_object\""), 400, "invalid_type", "response_format"),
            new("response_format without a type", "POST", Chat, ChatBody("\"response_format\":{}"), 400, null, "response_format.type"),
            new("response_format with an unknown field", "POST", Chat, ChatBody("\"response_format\":{\"type\":\"json_object\",\"schema\":{}}"), 400, "unknown_parameter", "schema"),

            // Sessions and tenants
            new("session id with path traversal", "POST", Chat, ChatBody("\"session_id\":\"../../etc\""), 400, "invalid_session_id", "session_id"),
            new("session id with emoji", "POST", Chat, ChatBody("\"session_id\":\"chat😀\""), 400, "invalid_session_id", "session_id"),
            new("session id 200 characters", "POST", Chat, ChatBody($"\"session_id\":\"{new string('s', 200)}\""), 400, "invalid_session_id", "session_id"),
            new("session header and field disagree", "POST", Chat, ChatBody("\"session_id\":\"one\""), 400, null, "session_id") { Headers = new Dictionary<string, string> { ["X-Session-Id"] = "two" } },
            new("another tenant's session history", "GET", $"/v1/sessions/{AliceSession}", null, 404, "session_not_found", "session_id") { Key = GatewayHost.BobKey },
            new("deleting another tenant's session", "DELETE", $"/v1/sessions/{AliceSession}", null, 404, "session_not_found", "session_id") { Key = GatewayHost.BobKey },
            new("forking another tenant's session", "POST", $"/v1/sessions/{AliceSession}/fork", null, 404, "session_not_found", "session_id") { Key = GatewayHost.BobKey },
            new("history of a session that never existed", "GET", "/v1/sessions/nobody-here", null, 404, "session_not_found", "session_id"),
            new("session path with invalid id", "GET", "/v1/sessions/bad%20id", null, 400, "invalid_session_id", "session_id"),

            // Documents (RAG chunks) on chat requests
            new("documents is a string", "POST", Chat, ChatBody("\"documents\":\"some text\""), 400, "invalid_type", "documents"),
            new("documents is empty", "POST", Chat, ChatBody("\"documents\":[]"), 400, "empty_array", "documents"),
            new("document is a number", "POST", Chat, ChatBody("\"documents\":[\"ok\",42]"), 400, "invalid_type", "documents[1]"),
            new("document is an empty string", "POST", Chat, ChatBody("\"documents\":[\"\"]"), 400, "empty_string", "documents[0]"),
            new("document over the length limit", "POST", Chat, ChatBody($"\"documents\":[\"{new string('d', 40_000)}\"]"), 400, "string_above_max_length", "documents[0]"),
            new("65 documents", "POST", Chat, ChatBody($"\"documents\":[{string.Join(',', Enumerable.Repeat("\"d\"", 65))}]"), 400, "array_above_max_length", "documents"),
            new("document object without id", "POST", Chat, ChatBody("\"documents\":[{\"text\":\"x\"}]"), 400, "missing_required_parameter", "documents[0].id"),
            new("document id is a number", "POST", Chat, ChatBody("\"documents\":[{\"id\":7}]"), 400, "invalid_type", "documents[0].id"),
            new("document id is not a chunk id", "POST", Chat, ChatBody("\"documents\":[{\"id\":\"chunk-../../etc\"}]"), 400, "invalid_chunk_id", "documents[0].id"),
            new("document id with an unknown field", "POST", Chat, ChatBody($"\"documents\":[{{\"id\":\"{AliceChunkId}\",\"weight\":2}}]"), 400, "unknown_parameter", "documents[0].weight"),
            new("document id never registered", "POST", Chat, ChatBody($"\"documents\":[{{\"id\":\"chunk-{new string('0', ChunkKey.HashLength)}\"}}]"), 404, "chunk_not_found", "documents[0].id"),
            new("another tenant's chunk id as a document", "POST", Chat, ChatBody($"\"documents\":[{{\"id\":\"{AliceChunkId}\"}}]"), 404, "chunk_not_found", "documents[0].id") { Key = GatewayHost.BobKey },
            new("documents after an assistant message", "POST", Chat, $$"""{"model":"{{Model}}","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"yes"}],"documents":["text"]}""", 400, null, "messages"),
            new("documents on legacy completions", "POST", Completions, $$"""{"model":"{{Model}}","prompt":"hi","documents":["text"]}""", 400, "unknown_parameter", "documents"),

            // Chunk registration and lookup
            new("chunks without chunks", "POST", Chunks, $$"""{"model":"{{Model}}"}""", 400, "missing_required_parameter", "chunks"),
            new("chunks without model", "POST", Chunks, """{"chunks":["text"]}""", 400, "missing_required_parameter", "model"),
            new("chunks is a string", "POST", Chunks, $$"""{"model":"{{Model}}","chunks":"text"}""", 400, "invalid_type", "chunks"),
            new("chunk given as an id object", "POST", Chunks, $$$"""{"model":"{{{Model}}}","chunks":[{"id":"{{{AliceChunkId}}}"}]}""", 400, "invalid_type", "chunks[0]"),
            new("chunk is an empty string", "POST", Chunks, $$"""{"model":"{{Model}}","chunks":[""]}""", 400, "empty_string", "chunks[0]"),
            new("precompute is a string", "POST", Chunks, $$"""{"model":"{{Model}}","chunks":["text"],"precompute":"yes"}""", 400, "invalid_type", "precompute"),
            new("unknown field on chunk registration", "POST", Chunks, $$"""{"model":"{{Model}}","chunks":["text"],"ttl":60}""", 400, "unknown_parameter", "ttl"),
            new("chunks for an unknown model", "POST", Chunks, """{"model":"gpt-17","chunks":["text"]}""", 404, "model_not_found", "model"),
            new("chunks without a key", "POST", Chunks, $$"""{"model":"{{Model}}","chunks":["text"]}""", 401, "invalid_api_key") { Key = null },
            new("chunk path with an invalid id", "GET", $"{Chunks}/not-a-chunk", null, 400, "invalid_chunk_id", "id"),
            new("chunk that was never registered", "GET", $"{Chunks}/chunk-{new string('f', ChunkKey.HashLength)}", null, 404, "chunk_not_found", "id"),
            new("another tenant's chunk", "GET", $"{Chunks}/{AliceChunkId}", null, 404, "chunk_not_found", "id") { Key = GatewayHost.BobKey },
            new("deleting another tenant's chunk", "DELETE", $"{Chunks}/{AliceChunkId}", null, 404, "chunk_not_found", "id") { Key = GatewayHost.BobKey },
            new("chunk lookup with a model name 1000 characters", "GET", $"{Chunks}/{AliceChunkId}?model={new string('m', 1000)}", null, 400, null, "model"),
            new("GET on the chunk list", "GET", Chunks, null, 405, "method_not_allowed"),

            // Size limits
            new("body over the size limit", "POST", Chat, huge, 413, "request_too_large"),
            new("chunked body over the size limit", "POST", Chat, huge, 413, "request_too_large") { Chunked = true },

            // Legacy completions
            new("completions without prompt", "POST", Completions, $$"""{"model":"{{Model}}"}""", 400, "missing_required_parameter", "prompt"),
            new("completions prompt is a number", "POST", Completions, $$"""{"model":"{{Model}}","prompt":12}""", 400, "invalid_type", "prompt"),
            new("completions token-id prompt with a negative id", "POST", Completions, $$"""{"model":"{{Model}}","prompt":[1,-2,3]}""", 400, "invalid_type", "prompt"),
            new("completions token-id prompt with a fractional id", "POST", Completions, $$"""{"model":"{{Model}}","prompt":[1,2.5]}""", 400, "invalid_type", "prompt"),
            new("completions prompts mixing text and ids", "POST", Completions, $$"""{"model":"{{Model}}","prompt":["hi",[1,2]]}""", 400, "invalid_type", "prompt"),
            new("completions empty token-id prompt", "POST", Completions, $$"""{"model":"{{Model}}","prompt":[[]]}""", 400, null, "prompt"),
            new("completions streamed echo of a token-id prompt", "POST", Completions, $$"""{"model":"{{Model}}","prompt":[1,2],"echo":true,"stream":true}""", 400, "unsupported_parameter", "echo"),
            new("completions logprobs above 5", "POST", Completions, $$"""{"model":"{{Model}}","prompt":"hi","logprobs":10}""", 400, "integer_above_max_value", "logprobs"),
            new("completions with suffix", "POST", Completions, $$"""{"model":"{{Model}}","prompt":"hi","suffix":"end"}""", 400, "unsupported_parameter", "suffix"),

            // Routes and methods
            new("unknown route", "GET", "/v1/nope", null, 404, "unknown_url"),
            new("GET on chat completions", "GET", Chat, null, 405, "method_not_allowed"),
        ];
    }
}
