using System.Net.Http.Headers;
using System.Text;

namespace InferMesh.Gateway.Tests;

/// <summary>One malformed or hostile request of the corpus and the answer it must get.</summary>
public sealed record HostileRequest(string Name, string Method, string Path, string? Body, int Status, string? Code = null, string? Param = null)
{
    /// <summary>Bearer key sent; null sends no Authorization header.</summary>
    public string? Key { get; init; } = GatewayHost.AliceKey;

    /// <summary>Raw header value for Authorization (overrides <see cref="Key"/>).</summary>
    public string? Authorization { get; init; }

    public byte[]? RawBody { get; init; }

    /// <summary>Send the body without Content-Length (chunked).</summary>
    public bool Chunked { get; init; }

    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), Path);
        if (Authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }
        else if (Key is not null)
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        var bytes = RawBody ?? (Body is null ? null : Encoding.UTF8.GetBytes(Body));
        if (bytes is not null)
        {
            HttpContent content = Chunked ? new StreamContent(new MemoryStream(bytes)) : new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            message.Content = content;
            if (Chunked)
            {
                message.Headers.TransferEncodingChunked = true;
            }
        }

        return message;
    }
}
