using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// Finds CUDA toolkit libraries the way the toolkit installs them: CUDA_PATH, /usr/local/cuda*, then
/// LD_LIBRARY_PATH, then the loader's own search. Every path tried is kept so a failure can name them all.
/// </summary>
internal static class NativeLibraryProbe
{
    /// <summary>Directories to look in, most specific first.</summary>
    public static IReadOnlyList<string> CandidateDirectories()
    {
        var directories = new List<string>();
        string? cudaPath = Environment.GetEnvironmentVariable("CUDA_PATH");
        if (!string.IsNullOrEmpty(cudaPath))
        {
            directories.Add(Path.Combine(cudaPath, "targets", "x86_64-linux", "lib"));
            directories.Add(Path.Combine(cudaPath, "lib64"));
        }

        if (Directory.Exists("/usr/local"))
        {
            // Newest toolkit first: cuda-13.0 before cuda-12.8; the unversioned "cuda" link goes last of these.
            foreach (string root in Directory.GetDirectories("/usr/local", "cuda*").OrderByDescending(ToolkitVersion))
            {
                directories.Add(Path.Combine(root, "targets", "x86_64-linux", "lib"));
                directories.Add(Path.Combine(root, "lib64"));
            }
        }

        string? ldPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldPath))
            directories.AddRange(ldPath.Split(':', StringSplitOptions.RemoveEmptyEntries));
        return directories.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Loads the first of <paramref name="fileNames"/> found in <see cref="CandidateDirectories"/>, then by bare name.
    /// <paramref name="companions"/> (e.g. libcublasLt for libcublas) are loaded first from the same directory so the
    /// library's own dependencies resolve even when that directory is not on the loader path.
    /// </summary>
    public static bool TryLoad(IReadOnlyList<string> fileNames, Func<string, IReadOnlyList<string>> companions, List<string> searched, out IntPtr handle, out string loadedFrom)
    {
        foreach (string directory in CandidateDirectories())
        {
            foreach (string name in fileNames)
            {
                string path = Path.Combine(directory, name);
                searched.Add(path);
                if (!File.Exists(path))
                    continue;
                foreach (string companion in companions(name))
                {
                    string companionPath = Path.Combine(directory, companion);
                    if (File.Exists(companionPath))
                        NativeLibrary.TryLoad(companionPath, out _);
                }

                if (NativeLibrary.TryLoad(path, out handle))
                {
                    loadedFrom = path;
                    return true;
                }
            }
        }

        foreach (string name in fileNames)
        {
            searched.Add($"{name} (system loader search)");
            if (NativeLibrary.TryLoad(name, out handle))
            {
                loadedFrom = name;
                return true;
            }
        }

        handle = IntPtr.Zero;
        loadedFrom = string.Empty;
        return false;
    }

    private static Version ToolkitVersion(string directory)
    {
        string name = Path.GetFileName(directory);
        int dash = name.IndexOf('-');
        return dash > 0 && Version.TryParse(name[(dash + 1)..], out var version) ? version : new Version(0, 0);
    }
}
