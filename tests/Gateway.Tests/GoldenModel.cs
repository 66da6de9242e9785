using InferMesh.Engine.Templates;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Gateway.Tests;

/// <summary>The golden tiny models of tests/fixtures/golden.</summary>
internal static class GoldenModel
{
    public static string Directory(string name = "tiny-llama")
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

    /// <summary>A scripted engine that speaks through the golden model's real tokenizer and chat template.</summary>
    public static ScriptedEngine Scripted(string modelName = HostileCorpus.Model) =>
        new(modelName, TextTokenizer.Load(Path.Combine(Directory(), "tokenizer.json")), ChatTemplate.FromModelFolder(Directory()));
}
