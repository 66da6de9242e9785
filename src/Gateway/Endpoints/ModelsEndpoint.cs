using InferMesh.Gateway.Responses;
using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Auth;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace InferMesh.Gateway.Endpoints;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>, from the cluster directory, with each model's replicas and load.</summary>
public static class ModelsEndpoint
{
    public static async Task ListAsync(HttpContext context)
    {
        context.RequestServices.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        var replicas = await context.RequestServices.GetRequiredService<ModelCatalog>().ReplicasAsync(context.RequestAborted);
        await WriteJsonAsync(context.Response, json =>
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var model in replicas.GroupBy(r => r.Model).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                WriteModel(json, model.Key, [.. model]);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public static async Task GetAsync(HttpContext context, string id)
    {
        context.RequestServices.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        var replicas = (await context.RequestServices.GetRequiredService<ModelCatalog>().ReplicasAsync(context.RequestAborted, fresh: true))
            .Where(r => r.Model == id).ToList();
        if (replicas.Count == 0)
        {
            throw new ApiErrorException(ApiError.ModelNotFound(id));
        }

        await WriteJsonAsync(context.Response, json => WriteModel(json, id, replicas));
    }

    private static void WriteModel(Utf8JsonWriter json, string id, List<ModelReplicaLoad> replicas)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", "model");
        json.WriteNumber("created", replicas.Min(r => r.LoadedAtUnixSeconds));
        json.WriteString("owned_by", "infermesh");
        json.WriteNumber("max_model_len", replicas.Min(r => r.MaxContextLength));
        json.WriteStartArray("replicas");
        foreach (var r in replicas.OrderBy(r => r.Silo, StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("silo", r.Silo);
            json.WriteString("device", r.Device);
            json.WriteNumber("running", r.RunningSequences);
            json.WriteNumber("waiting", r.WaitingSequences);
            json.WriteNumber("kv_blocks_free", r.FreeKvBlocks);
            json.WriteNumber("kv_blocks_total", r.TotalKvBlocks);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    internal static async Task WriteJsonAsync(HttpResponse response, Action<Utf8JsonWriter> write)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        await using (var json = new Utf8JsonWriter(response.BodyWriter, GatewayJson.WriterOptions))
        {
            write(json);
        }

        await response.BodyWriter.FlushAsync();
    }
}
