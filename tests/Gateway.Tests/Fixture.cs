namespace InferMesh.Gateway.Tests;

/// <summary>Paths of shared test fixtures (tests/fixtures) and this project's own (tests/Gateway.Tests/Fixtures).</summary>
internal static class Fixture
{
    public static string TemplatePath(string file) => Find(Path.Combine("tests", "fixtures", "templates", file));

    public static string GatewayFixturePath(string file) => Find(Path.Combine("tests", "Gateway.Tests", "Fixtures", file));

    private static string Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }
}
