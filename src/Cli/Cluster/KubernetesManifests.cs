using System.Globalization;

namespace InferMesh.Cli.Cluster;

/// <summary>
/// Kubernetes manifests: silos use Orleans' Kubernetes hosting (pod name/IP and cluster ids from the pod, RBAC to
/// watch pods) with Redis clustering and session storage; the gateway is a LoadBalancer service.
/// </summary>
internal static class KubernetesManifests
{
    public static IReadOnlyList<(string File, string Yaml)> All(DeploymentSettings s) =>
    [
        ("00-namespace.yaml", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {s.Namespace}\n"),
        ("10-orleans-rbac.yaml", Rbac(s)),
        ("20-redis.yaml", Redis(s)),
        ("30-silo.yaml", Silo(s)),
        ("40-gateway.yaml", Gateway(s)),
    ];

    private static string Rbac(DeploymentSettings s) => $$"""
        # Orleans' Kubernetes hosting watches the silo pods and deletes those whose silo was declared dead.
        apiVersion: v1
        kind: ServiceAccount
        metadata: { name: infermesh-silo, namespace: {{s.Namespace}} }
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: { name: orleans-hosting, namespace: {{s.Namespace}} }
        rules:
          - apiGroups: [""]
            resources: ["pods"]
            verbs: ["get", "watch", "list", "delete", "patch"]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: { name: infermesh-silo-orleans-hosting, namespace: {{s.Namespace}} }
        subjects: [{ kind: ServiceAccount, name: infermesh-silo, namespace: {{s.Namespace}} }]
        roleRef: { kind: Role, name: orleans-hosting, apiGroup: rbac.authorization.k8s.io }

        """;

    private static string Redis(DeploymentSettings s) => $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: redis, namespace: {{s.Namespace}} }
        spec:
          replicas: 1
          selector: { matchLabels: { app: redis } }
          template:
            metadata: { labels: { app: redis } }
            spec:
              containers:
                - name: redis
                  image: redis:7-alpine
                  args: ["--save", "", "--appendonly", "no"]
                  ports: [{ containerPort: 6379 }]
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: redis, namespace: {{s.Namespace}} }
        spec:
          selector: { app: redis }
          ports: [{ port: 6379, targetPort: 6379 }]

        """;

    private static string Silo(DeploymentSettings s)
    {
        var gpu = s.GpusPerSilo > 0 ? string.Create(CultureInfo.InvariantCulture, $"\n          resources: {{ limits: {{ nvidia.com/gpu: {s.GpusPerSilo} }} }}") : "";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: { name: silo, namespace: {{s.Namespace}} }
            spec:
              replicas: {{s.Silos}}
              selector: { matchLabels: { app: infermesh-silo } }
              template:
                metadata:
                  labels:
                    app: infermesh-silo
                    orleans/serviceId: infermesh
                    orleans/clusterId: infermesh
                spec:
                  serviceAccountName: infermesh-silo
                  containers:
                    - name: silo
                      image: {{s.SiloImage}}
                      ports: [{ containerPort: 11111 }, { containerPort: 30000 }, { containerPort: 8080 }]{{gpu}}
                      env:
                        - { name: ORLEANS_SERVICE_ID, valueFrom: { fieldRef: { fieldPath: "metadata.labels['orleans/serviceId']" } } }
                        - { name: ORLEANS_CLUSTER_ID, valueFrom: { fieldRef: { fieldPath: "metadata.labels['orleans/clusterId']" } } }
                        - { name: POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: metadata.namespace } } }
                        - { name: POD_NAME, valueFrom: { fieldRef: { fieldPath: metadata.name } } }
                        - { name: POD_IP, valueFrom: { fieldRef: { fieldPath: status.podIP } } }
                        - { name: ASPNETCORE_URLS, value: "http://+:8080" }
                        - { name: InferMesh__Kubernetes, value: "true" }
                        - { name: InferMesh__Models__0, value: /models/{{s.ModelName}} }
                        - { name: InferMesh__Clustering__Provider, value: Redis }
                        - { name: InferMesh__Clustering__ConnectionString, value: "redis:6379" }
                        - { name: InferMesh__Clustering__Storage, value: Redis }
                      readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 5 }
                      livenessProbe: { httpGet: { path: /alive, port: 8080 }, periodSeconds: 10 }
                      volumeMounts: [{ name: models, mountPath: /models, readOnly: true }]
                  volumes:
                    - { name: models, persistentVolumeClaim: { claimName: infermesh-models } }

            """);
    }

    private static string Gateway(DeploymentSettings s) => string.Create(CultureInfo.InvariantCulture, $$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: gateway, namespace: {{s.Namespace}} }
        spec:
          replicas: 1
          selector: { matchLabels: { app: infermesh-gateway } }
          template:
            metadata: { labels: { app: infermesh-gateway } }
            spec:
              containers:
                - name: gateway
                  image: {{s.GatewayImage}}
                  ports: [{ containerPort: 8080 }]
                  env:
                    - { name: ASPNETCORE_URLS, value: "http://+:8080" }
                    - { name: InferMesh__Clustering__Provider, value: Redis }
                    - { name: InferMesh__Clustering__ConnectionString, value: "redis:6379" }
                  readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 5 }
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: gateway, namespace: {{s.Namespace}} }
        spec:
          type: LoadBalancer
          selector: { app: infermesh-gateway }
          ports: [{ port: {{s.GatewayPort}}, targetPort: 8080 }]

        """);
}
