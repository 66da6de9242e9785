using System.Buffers;
using System.Text.Json;
using InferMesh.Gateway.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace InferMesh.Gateway.Responses;

/// <summary>Writes <c>text/event-stream</c> events (<c>data: {json}\n\n</c>), flushing each so tokens reach the client as they come.</summary>
public sealed class ServerSentEvents
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    private readonly HttpResponse _response;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _json;

    public ServerSentEvents(HttpResponse response)
    {
        _response = response;
        _json = new Utf8JsonWriter(_buffer, GatewayJson.WriterOptions);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        response.HttpContext.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    /// <summary>Writes one event whose JSON <paramref name="write"/> produces, and flushes.</summary>
    public async Task WriteAsync<TState>(Action<Utf8JsonWriter, TState> write, TState state, CancellationToken cancellationToken)
    {
        _buffer.ResetWrittenCount();
        _json.Reset(_buffer);
        write(_json, state);
        _json.Flush();
        var body = _response.BodyWriter;
        body.Write(DataPrefix);
        body.Write(_buffer.WrittenSpan);
        body.Write(EventEnd);
        await body.FlushAsync(cancellationToken);
    }

    public async Task WriteErrorAsync(ApiError error, CancellationToken cancellationToken) =>
        await WriteAsync(static (json, e) => e.WriteJson(json), error, cancellationToken);

    public async Task WriteDoneAsync(CancellationToken cancellationToken)
    {
        _response.BodyWriter.Write(Done);
        await _response.BodyWriter.FlushAsync(cancellationToken);
    }
}
