using InferMesh.Engine.Serving;

namespace InferMesh.Cli;

/// <summary>The model folder a command uses: --model when given, else the embedded default (see <see cref="EmbeddedModel"/>).</summary>
internal static class DefaultModel
{
    public static string Resolve(string? explicitPath) =>
        string.IsNullOrWhiteSpace(explicitPath)
            ? EmbeddedModel.Resolve("pass --model DIR with a Hugging Face model folder.")
            : Path.GetFullPath(explicitPath);
}
