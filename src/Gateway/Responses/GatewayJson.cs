using System.Text.Encodings.Web;
using System.Text.Json;

namespace InferMesh.Gateway.Responses;

/// <summary>How answers are written: generated text goes out as UTF-8, not \u escapes (still valid JSON; HTML-safety is not needed in an API).</summary>
public static class GatewayJson
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
