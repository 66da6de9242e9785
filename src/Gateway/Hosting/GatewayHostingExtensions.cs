using InferMesh.Gateway.Auth;
using InferMesh.Gateway.Endpoints;
using InferMesh.Gateway.Errors;
using InferMesh.Gateway.Reasoning;
using InferMesh.Gateway.Serving;
using InferMesh.Gateway.Tools;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using StackExchange.Redis;

namespace InferMesh.Gateway.Hosting;

/// <summary>Wires the OpenAI-compatible gateway: its services, Kestrel limits, the Orleans client and the routes.</summary>
public static class GatewayHostingExtensions
{
    /// <summary>Gateway services plus an Orleans client connected as configured (Aspire's Orleans settings, else <c>InferMesh:Clustering</c>).</summary>
    public static WebApplicationBuilder AddInferMeshGateway(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.AddInferMeshGatewayServices(configuration);
        if (!string.IsNullOrEmpty(configuration.GetConnectionString("redis")))
        {
            builder.AddKeyedRedisClient("redis");
        }

        builder.UseOrleansClient(client =>
        {
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                return true;
            });
            var callTimeout = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()?.CallTimeout ?? new GatewayOptions().CallTimeout;
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = callTimeout);
            if (string.IsNullOrEmpty(configuration["Orleans:Clustering:ProviderType"]))
            {
                ApplyClustering(client, configuration.GetSection("InferMesh:Clustering"));
            }
        });
        return builder;
    }

    /// <summary>Everything but the Orleans client (tests co-host a silo instead).</summary>
    public static IServiceCollection AddInferMeshGatewayServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<GatewayOptions>(configuration.GetSection(GatewayOptions.Section));
        services.AddOptions<GatewayOptions>()
            .Validate(o => ToolCalling.Settings.Contains(o.ToolCallParser), $"{GatewayOptions.Section}:ToolCallParser must be one of: {string.Join(", ", ToolCalling.Settings)}.")
            .Validate(o => ReasoningParsing.Settings.Contains(o.ReasoningParser), $"{GatewayOptions.Section}:ReasoningParser must be one of: {string.Join(", ", ReasoningParsing.Settings)}.")
            .ValidateOnStart();
        services.TryAddSingleton<TenantAuthenticator>();
        services.TryAddSingleton<Admission>();
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<TurnRunner>();
        services.TryAddSingleton<CacheNamespacePolicy>();
        services.TryAddSingleton<DocumentResolver>();
        services.TryAddSingleton<ChunkPrecompute>();
        services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");
        var bodyLimit = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()?.MaxRequestBodyBytes ?? new GatewayOptions().MaxRequestBodyBytes;
        services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = bodyLimit);
        return services;
    }

    /// <summary>Maps the OpenAI-compatible routes; unknown routes and wrong methods get OpenAI-shaped errors too.</summary>
    public static WebApplication MapInferMeshGateway(this WebApplication app)
    {
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (http.Response.HasStarted || http.Response.ContentLength > 0)
            {
                return;
            }

            var error = http.Response.StatusCode switch
            {
                StatusCodes.Status404NotFound => new ApiError(404, $"Unknown request URL: {http.Request.Method} {http.Request.Path}.", "invalid_request_error", null, "unknown_url"),
                StatusCodes.Status405MethodNotAllowed => new ApiError(405, $"Method {http.Request.Method} is not allowed for {http.Request.Path}.", "invalid_request_error", null, "method_not_allowed"),
                var status => new ApiError(status, $"The request failed with status {status}.", status >= 500 ? "server_error" : "invalid_request_error"),
            };
            await error.WriteAsync(http.Response);
        });

        app.MapPost("/v1/chat/completions", (HttpContext c) => ApiHandler.RunAsync(c, ChatCompletionsEndpoint.HandleAsync));
        app.MapPost("/v1/completions", (HttpContext c) => ApiHandler.RunAsync(c, CompletionsEndpoint.HandleAsync));
        app.MapGet("/v1/models", (HttpContext c) => ApiHandler.RunAsync(c, ModelsEndpoint.ListAsync));
        app.MapGet("/v1/models/{**id}", (HttpContext c, string id) => ApiHandler.RunAsync(c, x => ModelsEndpoint.GetAsync(x, id)));
        app.MapGet("/v1/sessions/{id}", (HttpContext c, string id) => ApiHandler.RunAsync(c, x => SessionsEndpoint.GetAsync(x, id)));
        app.MapDelete("/v1/sessions/{id}", (HttpContext c, string id) => ApiHandler.RunAsync(c, x => SessionsEndpoint.DeleteAsync(x, id)));
        app.MapPost("/v1/chunks", (HttpContext c) => ApiHandler.RunAsync(c, ChunksEndpoint.RegisterAsync));
        app.MapGet("/v1/chunks/{id}", (HttpContext c, string id) => ApiHandler.RunAsync(c, x => ChunksEndpoint.GetAsync(x, id)));
        app.MapDelete("/v1/chunks/{id}", (HttpContext c, string id) => ApiHandler.RunAsync(c, x => ChunksEndpoint.DeleteAsync(x, id)));
        app.MapPost("/v1/sessions/{id}/fork", (HttpContext c, string id) => ApiHandler.RunAsync(c, x => SessionsEndpoint.ForkAsync(x, id)));
        return app;
    }

    private static void ApplyClustering(IClientBuilder client, IConfigurationSection section)
    {
        var provider = section["Provider"] ?? "Development";
        var connection = section["ConnectionString"];
        switch (provider.ToUpperInvariant())
        {
            case "DEVELOPMENT":
                var port = int.TryParse(section["GatewayPort"], out var p) ? p : 30000;
                client.UseLocalhostClustering(port, section["ServiceId"] ?? "infermesh", section["ClusterId"] ?? "infermesh");
                break;
            case "REDIS":
                client.UseRedisClustering(o => o.ConfigurationOptions = ConfigurationOptions.Parse(connection ?? throw Missing()));
                ApplyIds(client, section);
                break;
            case "ADONET":
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = section["Invariant"] ?? "Npgsql";
                    o.ConnectionString = connection ?? throw Missing();
                });
                ApplyIds(client, section);
                break;
            default:
                throw new InvalidOperationException($"InferMesh:Clustering:Provider is '{provider}'; use Development, Redis or AdoNet");
        }
    }

    private static void ApplyIds(IClientBuilder client, IConfigurationSection section) =>
        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = section["ClusterId"] ?? "infermesh";
            o.ServiceId = section["ServiceId"] ?? "infermesh";
        });

    private static InvalidOperationException Missing() => new("InferMesh:Clustering:ConnectionString is required for this provider");
}
