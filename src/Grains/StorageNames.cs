namespace InferMesh.Grains;

/// <summary>Names of the grain storage providers the grains use; the silo host registers them (memory, Redis or ADO.NET).</summary>
public static class StorageNames
{
    public const string Sessions = "sessions";

    /// <summary>Chunk registrations (<c>POST /v1/chunks</c>) live in the sessions' store: one durable store to configure per cluster.</summary>
    public const string Chunks = Sessions;
}
