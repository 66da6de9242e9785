using InferMesh.ServiceDefaults;
using InferMesh.Silo.Hosting;

// One silo: loads the configured models on this machine's devices and joins the cluster (see appsettings.json).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInferMeshSilo();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapGet("/", () => "InferMesh silo: see /healthz and /metrics");
app.Run();
