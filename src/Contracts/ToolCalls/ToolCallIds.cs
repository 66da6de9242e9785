using System.Security.Cryptography;

namespace InferMesh.Contracts.ToolCalls;

/// <summary>Random call ids.</summary>
internal static class ToolCallIds
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string Random(int length) => RandomNumberGenerator.GetString(Alphabet, length);
}
