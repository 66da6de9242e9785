using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Gateway.Auth;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Reasoning;
using InferMesh.Gateway.Requests;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Serving;
using InferMesh.Gateway.Tools;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Endpoints;

/// <summary><c>POST /v1/chat/completions</c>: authenticate, validate, queue, run the turn on its session grain, answer (JSON or SSE).</summary>
public static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var cancellationToken = context.RequestAborted;

        var tenant = services.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        using var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, cancellationToken);
        var request = ChatCompletionRequest.Parse(body.RootElement, options);
        var sessionId = SessionIds.Select(context.Request, request.SessionId);
        if (!await services.GetRequiredService<ModelCatalog>().ServesAsync(request.Model, cancellationToken))
        {
            throw new ApiErrorException(ApiError.ModelNotFound(request.Model));
        }

        var cacheNamespace = services.GetRequiredService<CacheNamespacePolicy>().For(tenant);
        var documents = await services.GetRequiredService<DocumentResolver>().ResolveAsync(request.Model, cacheNamespace, request.Documents, cancellationToken);
        using var slot = await services.GetRequiredService<Admission>().EnterAsync(cancellationToken);
        if (documents.Affinity is { } affinity)
        {
            // KV-aware routing: a new session (every one-off request is one) is placed where most chunk tokens are.
            RequestContext.Set(RequestContextKeys.ChunkAffinity, affinity);
        }

        var turn = new ChatTurn
        {
            Model = request.Model,
            Messages = request.Messages,
            Options = request.Sampling.Options,
            Persist = sessionId is not null,
            Documents = documents.Texts,
            CacheNamespace = cacheNamespace,
            Tools = request.Tools?.TemplateTools,
            ForcedToolCallFormat = ToolCalling.ForcedFormat(options.ToolCallParser),
            ChatTemplateKwargs = request.ChatTemplateKwargs,
            ForcedReasoningFormat = ReasoningParsing.ForcedFormat(options.ReasoningParser),
        };
        var key = sessionId is null ? SessionIds.Ephemeral(tenant) : SessionKeys.Compose(tenant, sessionId);
        await using var turnStream = await services.GetRequiredService<TurnRunner>().StartAsync(key, turn, started, cancellationToken);
        if (sessionId is not null)
        {
            context.Response.Headers[SessionIds.Header] = sessionId;
        }

        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var n = request.Sampling.Options.N;
        var toolCalling = request.Tools is { ParsesCalls: true } tools ? new ToolCalling(options.ToolCallParser, tools.ParallelToolCalls, tools.CallableNames, tools.Choice, tools.ChoiceName) : null;
        if (request.Sampling.Stream)
        {
            await ChatCompletionWriter.StreamAsync(context.Response, turnStream, id, created, request.Model, n, request.Sampling.IncludeUsage, toolCalling, cancellationToken);
        }
        else
        {
            await ChatCompletionWriter.WriteAsync(context.Response, turnStream, id, created, request.Model, n, toolCalling, cancellationToken);
        }
    }
}
