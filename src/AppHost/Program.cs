using InferMesh.AppHost;

// The InferMesh cluster on one machine, one line per resource. Settings (see ClusterSettings) come from
// --Parameters:NAME=VALUE arguments or Parameters__NAME environment variables: model, silos, gateway-port,
// redis (executable | container), redis-port, api-key.
var builder = DistributedApplication.CreateBuilder(args);
var settings = ClusterSettings.From(builder.Configuration);

var model = builder.AddParameter("model", settings.ModelDirectory);
var orleans = builder.AddOrleans("cluster").WithClusterId("infermesh").WithServiceId("infermesh");

var silo = builder.AddProject<Projects.Silo>("silo")
    .WithReference(orleans)
    .WithReplicas(settings.Silos)
    .WithHttpHealthCheck("/healthz")
    .WithEnvironment("InferMesh__Models__0", model)
    .WithEnvironment("InferMesh__CpuThreads", settings.CpuThreadsPerSilo.ToString(System.Globalization.CultureInfo.InvariantCulture));

var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithExternalHttpEndpoints()
    .WithEndpoint("http", e => e.Port = settings.GatewayPort)
    .WithApiKey(settings.ApiKey)
    .WithHttpHealthCheck("/healthz")
    .WaitFor(silo);

if (settings.UsesRedis)
{
    // Several silos: Redis holds membership and sessions, so a conversation outlives the silo it ran on.
    var redis = settings.RedisAsContainer ? builder.AddRedisContainerForOrleans("redis") : builder.AddRedisServer("redis", settings.RedisPort);
    orleans.WithClustering(redis.Connection).WithGrainStorage("sessions", redis.Connection);
    silo.WaitFor(redis.Server);
    gateway.WithReference(orleans.AsClient()).WaitFor(redis.Server);
}
else
{
    // One silo: development clustering, nothing to install; the gateway dials that silo's Orleans gateway port.
    orleans.WithDevelopmentClustering().WithMemoryGrainStorage("sessions");
    gateway.WithEnvironment("InferMesh__Clustering__Provider", "Development")
        .WithEnvironment("InferMesh__Clustering__GatewayPort", silo.GetEndpoint("orleans-gateway").Property(EndpointProperty.TargetPort));
}

builder.Build().Run();
