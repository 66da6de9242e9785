using System.CommandLine;

namespace InferMesh.Cli;

/// <summary>Runs the command line; a failure prints one clear line (never a stack trace unless INFERMESH_DEBUG=1).</summary>
internal static class CommandLineErrors
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            // System.CommandLine would print its own report with a stack trace; errors come here instead.
            return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("INFERMESH_DEBUG") != "1")
        {
            Console.Error.WriteLine($"infermesh: {e.Message}");
            return 1;
        }
    }
}
