namespace InferMesh.Cli.Tests;

/// <summary>Locates the repository (the folder holding InferMesh.sln) from the test binary's folder.</summary>
internal static class RepoPaths
{
    public static string Golden(string name) => Path.Combine(FindRoot(), "tests", "fixtures", "golden", name);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InferMesh.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"InferMesh.sln not found above {AppContext.BaseDirectory}");
    }
}
