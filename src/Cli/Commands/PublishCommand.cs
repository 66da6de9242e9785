using System.CommandLine;
using InferMesh.Cli.Cluster;

namespace InferMesh.Cli.Commands;

/// <summary>
/// <c>infermesh publish</c>: writes docker-compose and Kubernetes manifests (Orleans Kubernetes hosting, Redis
/// clustering) for the same cluster the app host runs locally. Aspire's own publishers are not available here.
/// </summary>
internal static class PublishCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "folder to write into", DefaultValueFactory = _ => "deploy" };
        var model = new Option<string>("--model-name") { Description = "model folder name under /models in the containers", DefaultValueFactory = _ => "infermesh-tiny" };
        var silos = new Option<int>("--silos") { Description = "silo replicas (one per GPU machine)", DefaultValueFactory = _ => 2 };
        var port = new Option<int>("--port", "-p") { Description = "gateway port", DefaultValueFactory = _ => 8080 };
        var registry = new Option<string>("--registry") { Description = "image registry prefix, e.g. registry.example.com/", DefaultValueFactory = _ => "" };
        var tag = new Option<string>("--tag") { DefaultValueFactory = _ => "latest" };
        var gpus = new Option<int>("--gpus-per-silo") { Description = "GPUs each silo requests (0 = CPU)", DefaultValueFactory = _ => 0 };
        var ns = new Option<string>("--namespace") { Description = "Kubernetes namespace", DefaultValueFactory = _ => "infermesh" };
        var command = new Command("publish", "write docker-compose and Kubernetes manifests for the cluster")
        {
            output, model, silos, port, registry, tag, gpus, ns,
        };
        command.SetAction(async (result, ct) =>
        {
            var settings = new DeploymentSettings
            {
                ModelName = result.GetValue(model)!,
                Silos = result.GetValue(silos),
                GatewayPort = result.GetValue(port),
                Registry = result.GetValue(registry)!,
                Tag = result.GetValue(tag)!,
                GpusPerSilo = result.GetValue(gpus),
                Namespace = result.GetValue(ns)!,
            };
            var written = await WriteAsync(Path.GetFullPath(result.GetValue(output)!), settings, ct);
            foreach (var file in written)
            {
                Console.WriteLine(file);
            }

            return 0;
        });
        return command;
    }

    internal static async Task<IReadOnlyList<string>> WriteAsync(string folder, DeploymentSettings settings, CancellationToken ct)
    {
        if (settings.Silos < 1)
        {
            throw new ArgumentException($"--silos is {settings.Silos}; publish at least one silo");
        }

        var files = new List<(string Path, string Text)>
        {
            (Path.Combine(folder, "docker-compose.yaml"), ComposeManifest.Compose(settings)),
            (Path.Combine(folder, "Dockerfile"), ComposeManifest.Dockerfile()),
            (Path.Combine(folder, "README.md"), ComposeManifest.Readme(settings)),
        };
        files.AddRange(KubernetesManifests.All(settings).Select(m => (Path.Combine(folder, "kubernetes", m.File), m.Yaml)));
        foreach (var (path, text) in files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, text, ct);
        }

        return [.. files.Select(f => f.Path)];
    }
}
