using System.Globalization;
using InferMesh.AppHost;

// The InferMesh cluster on one machine, one line per resource. Settings (see ClusterSettings) come from
// --Parameters:NAME=VALUE arguments or Parameters__NAME environment variables: model, silos, gateway-port,
// redis (executable | container), redis-port, api-key.
var builder = DistributedApplication.CreateBuilder(args);
var settings = ClusterSettings.From(builder.Configuration);
var model = builder.AddParameter("model", settings.ModelDirectory);

// Several silos find each other, and keep sessions that outlive any one of them, in Redis; one silo needs nothing.
var redis = !settings.UsesRedis ? null
    : settings.RedisAsContainer ? builder.AddRedisContainerForOrleans("redis")
    : builder.AddRedisServer("redis", settings.RedisPort);
var orleans = builder.AddOrleans("cluster").WithClusterId("infermesh").WithServiceId("infermesh");
orleans = redis is null
    ? orleans.WithDevelopmentClustering().WithMemoryGrainStorage("sessions")
    : orleans.WithClustering(redis.Connection).WithGrainStorage("sessions", redis.Connection);

var silo = builder.AddProject<Projects.Silo>("silo")
    .WithReference(orleans)
    .WithReplicas(settings.Silos)
    .WithHttpHealthCheck("/healthz")
    .WithEnvironment("InferMesh__Models__0", model)
    .WithEnvironment("InferMesh__CpuThreads", settings.CpuThreadsPerSilo.ToString(CultureInfo.InvariantCulture));

var gateway = builder.AddProject<Projects.Gateway>("gateway")
    .WithExternalHttpEndpoints()
    .WithEndpoint("http", e => e.Port = settings.GatewayPort)
    .WithApiKey(settings.ApiKey)
    .WithHttpHealthCheck("/healthz")
    .WaitFor(silo);

if (redis is null)
{
    // Development clustering has no client side: the one silo listens on fixed Orleans ports the gateway dials.
    var (siloPort, orleansGatewayPort) = (settings.OrleansSiloPort.ToString(CultureInfo.InvariantCulture), settings.OrleansGatewayPort.ToString(CultureInfo.InvariantCulture));
    silo.WithEnvironment("Orleans__Endpoints__SiloPort", siloPort).WithEnvironment("Orleans__Endpoints__GatewayPort", orleansGatewayPort);
    gateway.WithEnvironment("InferMesh__Clustering__Provider", "Development").WithEnvironment("InferMesh__Clustering__GatewayPort", orleansGatewayPort);
}
else
{
    silo.WaitFor(redis.Server);
    gateway.WithReference(orleans.AsClient()).WaitFor(redis.Server);
}

builder.Build().Run();
