namespace InferMesh.Gateway.Errors;

/// <summary>Thrown while handling a request to answer it with <see cref="Error"/>.</summary>
public sealed class ApiErrorException(ApiError error) : Exception(error.Message)
{
    public ApiError Error { get; } = error;
}
