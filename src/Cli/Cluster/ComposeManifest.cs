using System.Globalization;
using System.Text;

namespace InferMesh.Cli.Cluster;

/// <summary>docker-compose.yaml and the Dockerfile its images build from.</summary>
internal static class ComposeManifest
{
    public static string Compose(DeploymentSettings s)
    {
        var gpu = s.GpusPerSilo > 0
            ? string.Create(CultureInfo.InvariantCulture, $"      resources:\n        reservations:\n          devices:\n            - driver: nvidia\n              count: {s.GpusPerSilo}\n              capabilities: [gpu]\n")
            : "";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            # Written by `infermesh publish`. Start: docker compose up --build   (models/{{s.ModelName}} next to this file)
            name: infermesh
            services:
              redis:
                image: redis:7-alpine
                command: ["redis-server", "--save", "", "--appendonly", "no"]
              silo:
                image: {{s.SiloImage}}
                build: { context: .., dockerfile: deploy/Dockerfile, target: silo }
                depends_on: [redis]
                deploy:
                  replicas: {{s.Silos}}
            {{gpu}}    environment:
                  Orleans__ClusterId: infermesh
                  Orleans__ServiceId: infermesh
                  InferMesh__Models__0: /models/{{s.ModelName}}
                  InferMesh__Clustering__Provider: Redis
                  InferMesh__Clustering__ConnectionString: redis:6379
                  InferMesh__Clustering__Storage: Redis
                volumes:
                  - ./models:/models:ro
              gateway:
                image: {{s.GatewayImage}}
                build: { context: .., dockerfile: deploy/Dockerfile, target: gateway }
                depends_on: [redis, silo]
                ports:
                  - "{{s.GatewayPort}}:8080"
                environment:
                  ASPNETCORE_URLS: http://+:8080
                  InferMesh__Clustering__Provider: Redis
                  InferMesh__Clustering__ConnectionString: redis:6379

            """);
    }

    public static string Dockerfile() => """
        # Written by `infermesh publish`: one build, two images (docker build --target silo|gateway).
        FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
        WORKDIR /src
        COPY . .
        RUN dotnet publish src/Silo -c Release -o /out/silo && dotnet publish src/Gateway -c Release -o /out/gateway

        FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS silo
        WORKDIR /app
        COPY --from=build /out/silo .
        EXPOSE 11111 30000 8080
        ENTRYPOINT ["dotnet", "InferMesh.Silo.dll"]

        FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS gateway
        WORKDIR /app
        COPY --from=build /out/gateway .
        EXPOSE 8080
        ENTRYPOINT ["dotnet", "InferMesh.Gateway.dll"]

        """;

    public static string Readme(DeploymentSettings s)
    {
        var md = new StringBuilder();
        md.AppendLine("# InferMesh deployment (written by `infermesh publish`)");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- `docker-compose.yaml`: Redis, {s.Silos} silo(s), the gateway on port {s.GatewayPort}. Put the model folder at `deploy/models/{s.ModelName}`, then `docker compose -f deploy/docker-compose.yaml up --build`.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- `kubernetes/`: namespace `{s.Namespace}`, RBAC for Orleans' Kubernetes hosting, Redis, the silo Deployment ({s.Silos} replicas) and the gateway Deployment + LoadBalancer Service. The model is read from the PersistentVolumeClaim `infermesh-models` (folder `{s.ModelName}`). `kubectl apply -f deploy/kubernetes/`.");
        md.AppendLine("- Images: `docker build -f deploy/Dockerfile --target silo -t infermesh-silo .` and `--target gateway -t infermesh-gateway .` from the repository root.");
        return md.ToString();
    }
}
