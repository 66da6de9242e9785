namespace InferMesh.Engine.Serving;

/// <summary>
/// Finds the model used when none is given: $INFERMESH_MODEL, else the embedded model shipped next to the
/// executable (models/infermesh-tiny), else the same folder — or, without it, the golden tiny-llama — in the source
/// tree the binary was built from. One lookup for the CLI and the silo.
/// </summary>
public static class EmbeddedModel
{
    public const string Name = "infermesh-tiny";

    /// <param name="howToChoose">Appended to the error when nothing is found (what the caller's user should set).</param>
    public static string Resolve(string howToChoose)
    {
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

        throw new DirectoryNotFoundException($"no default model found (looked for models/{Name} next to the executable and in the source tree); {howToChoose}");
    }

    private static IEnumerable<string> Candidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, "models", Name);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InferMesh.sln")))
            {
                yield return Path.Combine(dir.FullName, "models", Name);
                yield return Path.Combine(dir.FullName, "tests", "fixtures", "golden", "tiny-llama");
                yield break;
            }
        }
    }
}
