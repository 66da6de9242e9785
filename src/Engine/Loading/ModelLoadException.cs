namespace InferMesh.Engine.Loading;

/// <summary>A model folder that cannot be loaded; the message names the file, the tensor or field, and what is wrong.</summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string message)
        : base(message)
    {
    }

    public ModelLoadException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
