using System.Text;

namespace InferMesh.Engine.Tests.Loading;

/// <summary>Builds safetensors files byte by byte (header length, JSON header, data) so tests can corrupt any part.</summary>
internal static class SafetensorsBytes
{
    public static byte[] Build(string headerJson, int dataBytes, ulong? headerLengthOverride = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + dataBytes];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), headerLengthOverride ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (var i = 0; i < dataBytes; i++)
        {
            bytes[8 + header.Length + i] = (byte)(i * 7);
        }

        return bytes;
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "infermesh-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A copy of a golden model folder that a test may damage.</summary>
    public static string CopyGolden(string name)
    {
        var dir = TempDir();
        foreach (var f in Directory.GetFiles(RepoPaths.Golden(name)))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        return dir;
    }
}
