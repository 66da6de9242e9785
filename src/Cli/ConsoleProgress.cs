namespace InferMesh.Cli;

/// <summary>Reports progress lines to stderr synchronously (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
internal sealed class ConsoleProgress : IProgress<string>
{
    public void Report(string value) => Console.Error.WriteLine($"[infermesh] {value}");
}
