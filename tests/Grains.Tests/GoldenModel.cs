namespace InferMesh.Grains.Tests;

/// <summary>The golden tiny models of tests/fixtures/golden.</summary>
internal static class GoldenModel
{
    public const string Name = "tiny-llama";

    public static string Directory(string name = Name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "golden", name);
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/fixtures/golden/{name} not found above {AppContext.BaseDirectory}");
    }
}
