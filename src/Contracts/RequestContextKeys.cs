namespace InferMesh.Contracts;

/// <summary>Orleans RequestContext entries the gateway sets for placement.</summary>
public static class RequestContextKeys
{
    /// <summary>The model a call is for; the session placement director places new sessions on a silo that serves it.</summary>
    public const string Model = "infermesh.model";

    /// <summary>Tokens of the request's document chunks each silo holds (<see cref="ChunkAffinity"/>): placement prefers the most.</summary>
    public const string ChunkAffinity = "infermesh.chunk-affinity";
}
