using System.Diagnostics;
using InferMesh.Contracts;
using InferMesh.Gateway.Auth;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Requests;
using InferMesh.Gateway.Responses;
using InferMesh.Gateway.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Endpoints;

/// <summary><c>POST /v1/completions</c>: raw-text or token-id prompts, no chat template, no session.</summary>
public static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var services = context.RequestServices;
        var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var cancellationToken = context.RequestAborted;

        var tenant = services.GetRequiredService<TenantAuthenticator>().Authenticate(context.Request);
        using var body = await RequestBody.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, cancellationToken);
        var request = CompletionRequest.Parse(body.RootElement, options);
        if (!await services.GetRequiredService<ModelCatalog>().ServesAsync(request.Model, cancellationToken))
        {
            throw new ApiErrorException(ApiError.ModelNotFound(request.Model));
        }

        var cacheNamespace = services.GetRequiredService<CacheNamespacePolicy>().For(tenant);
        using var slot = await services.GetRequiredService<Admission>().EnterAsync(cancellationToken);
        var runner = services.GetRequiredService<TurnRunner>();
        Task<TurnStream> Start(int p) => runner.StartAsync(
            SessionIds.Ephemeral(tenant),
            new ChatTurn { Model = request.Model, Prompt = request.Prompts[p].TokenIds is null ? request.Prompts[p].Text : null, PromptTokenIds = request.Prompts[p].TokenIds, Options = request.Sampling.Options, Persist = false, CacheNamespace = cacheNamespace },
            started,
            cancellationToken);

        var id = "cmpl-" + Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var n = request.Sampling.Options.N;
        if (request.Sampling.Stream)
        {
            await CompletionWriter.StreamAsync(context.Response, [.. request.Prompts.Select(p => p.Text)], Start, id, created, request.Model, n, request.Echo, request.Sampling.IncludeUsage, cancellationToken);
        }
        else
        {
            await CompletionWriter.WriteAsync(context.Response, [.. request.Prompts.Select(p => p.Text)], Start, id, created, request.Model, n, request.Echo, cancellationToken);
        }
    }
}
