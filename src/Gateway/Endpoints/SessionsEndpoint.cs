using System.Text.Json;
using InferMesh.Contracts;
using InferMesh.Gateway.Auth;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Requests;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Endpoints;

/// <summary>
/// <c>/v1/sessions/{id}</c>: GET the history, DELETE it (and its KV), POST <c>/fork</c> to copy it. Sessions are
/// looked up under the caller's tenant only, so another tenant's session id is simply not found.
/// </summary>
public static class SessionsEndpoint
{
    public static async Task GetAsync(HttpContext context, string id)
    {
        var (_, history) = await FindAsync(context, id);
        await ModelsEndpoint.WriteJsonAsync(context.Response, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", history.SessionId);
            json.WriteString("object", "session");
            json.WriteString("model", history.Model);
            json.WriteNumber("turns", history.Turns);
            json.WriteNumber("token_count", history.TokenCount);
            json.WriteString("kv_silo", history.KvSilo);
            if (history.UpdatedAt is { } updated)
            {
                json.WriteNumber("updated_at", updated.ToUnixTimeSeconds());
            }

            json.WriteStartArray("messages");
            foreach (var m in history.Messages)
            {
                json.WriteStartObject();
                json.WriteString("role", m.Role);
                json.WriteString("content", m.Content);
                if (m.ReasoningContent is { } reasoning)
                {
                    json.WriteString("reasoning_content", reasoning);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    public static async Task DeleteAsync(HttpContext context, string id)
    {
        var (grain, history) = await FindAsync(context, id);
        await grain.Reset();
        await ModelsEndpoint.WriteJsonAsync(context.Response, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", history.SessionId);
            json.WriteString("object", "session.deleted");
            json.WriteBoolean("deleted", true);
            json.WriteEndObject();
        });
    }

    public static async Task ForkAsync(HttpContext context, string id)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var (grain, history) = await FindAsync(context, id);
        string? target = null;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            using var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted);
            var fields = new RequestFields(body.RootElement);
            target = fields.String("session_id", 1024);
            fields.RejectUnknown();
        }

        var newId = await grain.Fork(SessionIds.Validate(target ?? Guid.NewGuid().ToString("N")));
        await ModelsEndpoint.WriteJsonAsync(context.Response, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", newId);
            json.WriteString("object", "session");
            json.WriteString("forked_from", history.SessionId);
            json.WriteNumber("turns", history.Turns);
            json.WriteEndObject();
        });
    }

    private static async Task<(ISessionGrain Grain, SessionHistory History)> FindAsync(HttpContext context, string id)
    {
        var tenant = context.RequestServices.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        SessionIds.Validate(id);
        var grain = context.RequestServices.GetRequiredService<IGrainFactory>().GetGrain<ISessionGrain>(SessionKeys.Compose(tenant, id));
        var history = await grain.History();
        if (history.Turns == 0 && history.Messages.Count == 0)
        {
            throw new ApiErrorException(ApiError.SessionNotFound(id));
        }

        return (grain, history);
    }
}
