namespace InferMesh.Engine.Tests;

/// <summary>Locates the repository (the folder holding InferMesh.sln) from the test binary's folder, or $INFERMESH_REPO.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Golden(string name) => Path.Combine(Root, "tests", "fixtures", "golden", name);

    public static string Fixture(params string[] parts) => Path.Combine([Root, "tests", "fixtures", .. parts]);

    private static string FindRoot()
    {
        // A published test binary (the GPU machine's bundle) lives outside the checkout; INFERMESH_REPO names it.
        if (Environment.GetEnvironmentVariable("INFERMESH_REPO") is { Length: > 0 } repo)
        {
            return repo;
        }

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
