namespace InferMesh.Cli;

/// <summary>
/// Finds the model a command uses when given no --model: $INFERMESH_MODEL, else the embedded model shipped next to
/// the executable (models/infermesh-tiny), else the same folder in the source tree this binary was built from.
/// </summary>
internal static class DefaultModel
{
    public const string EmbeddedName = "infermesh-tiny";

    public static string Resolve(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return Path.GetFullPath(explicitPath);
        }

        if (Environment.GetEnvironmentVariable("INFERMESH_MODEL") is { Length: > 0 } fromEnv)
        {
            return Path.GetFullPath(fromEnv);
        }

        foreach (var candidate in Candidates())
        {
            if (File.Exists(Path.Combine(candidate, "config.json")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"no default model found (looked for models/{EmbeddedName} next to the executable and in the source tree); pass --model DIR with a Hugging Face model folder.");
    }

    private static IEnumerable<string> Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, "models", EmbeddedName);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InferMesh.sln")))
            {
                yield return Path.Combine(dir.FullName, "models", EmbeddedName);
                yield return Path.Combine(dir.FullName, "tests", "fixtures", "golden", "tiny-llama");
                yield break;
            }
        }
    }
}
