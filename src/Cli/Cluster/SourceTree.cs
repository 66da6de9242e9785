namespace InferMesh.Cli.Cluster;

/// <summary>Finds the InferMesh source tree (the folder holding InferMesh.sln) this binary was built from or runs in.</summary>
internal static class SourceTree
{
    public static string Root()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "InferMesh.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("cannot find the InferMesh source tree (InferMesh.sln) above the current folder or this executable; run from inside a clone");
    }
}
