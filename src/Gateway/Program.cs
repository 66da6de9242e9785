using InferMesh.Gateway.Hosting;
using InferMesh.ServiceDefaults;

// The OpenAI-compatible front door: an Orleans client that turns HTTP requests into session grain calls.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInferMeshGateway();

var app = builder.Build();
app.MapInferMeshGateway();
app.MapDefaultEndpoints();
app.Run();
