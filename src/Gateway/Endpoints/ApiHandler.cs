using InferMesh.Gateway.Errors;
using InferMesh.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace InferMesh.Gateway.Endpoints;

/// <summary>Runs an API handler and turns whatever it throws into an OpenAI-shaped error answer.</summary>
public static partial class ApiHandler
{
    public static async Task RunAsync(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            await handler(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; disposing the turn has cancelled its generation and freed its KV.
        }
        catch (Exception ex)
        {
            var services = context.RequestServices;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiHandler));
            if (context.Response.HasStarted)
            {
                LogFailedAfterStart(logger, context.Request.Path, ex);
                context.Abort();
                return;
            }

            var error = ClusterErrors.ToApiError(ex, services.GetRequiredService<IOptions<GatewayOptions>>().Value.RetryAfterSeconds);
            if (error.Status >= 500)
            {
                LogServerError(logger, context.Request.Path, error.Status, ex);
            }

            services.GetRequiredService<InferMeshMetrics>().RequestRejected.Add(1, new KeyValuePair<string, object?>("status", error.Status));
            await error.WriteAsync(context.Response);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Path} failed with {Status}")]
    private static partial void LogServerError(ILogger logger, string path, int status, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} failed after the response had started; connection aborted")]
    private static partial void LogFailedAfterStart(ILogger logger, string path, Exception ex);
}
