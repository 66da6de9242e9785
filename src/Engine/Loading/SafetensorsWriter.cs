using System.Text;
using System.Text.Json;
using InferMesh.Kernels;

namespace InferMesh.Engine.Loading;

/// <summary>
/// Writes a .safetensors file (https://github.com/huggingface/safetensors#format): 8-byte little-endian header
/// length, a JSON header of {name: {dtype, shape, data_offsets}}, then the raw tensor bytes in header order.
/// Tensor data is produced by a callback, so multi-GB files stream through a bounded buffer.
/// </summary>
public static class SafetensorsWriter
{
    public sealed record Entry(string Name, DType DType, long[] Shape)
    {
        public long ByteCount => Shape.Aggregate(1L, (a, b) => a * b) * ElementSize(DType);
    }

    /// <param name="fill">Called per tensor with its index, the byte offset inside the tensor and the bytes to fill; large tensors are filled in several calls.</param>
    public static void Write(string path, IReadOnlyList<Entry> entries, Action<int, long, Memory<byte>> fill, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        if (metadata is not null)
        {
            header["__metadata__"] = metadata;
        }

        long offset = 0;
        foreach (var e in entries)
        {
            header[e.Name] = new Dictionary<string, object>
            {
                ["dtype"] = DTypeName(e.DType),
                ["shape"] = e.Shape,
                ["data_offsets"] = new[] { offset, offset + e.ByteCount },
            };
            offset += e.ByteCount;
        }

        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var padded = (json.Length + 7) / 8 * 8;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, (ulong)padded);
        stream.Write(length);
        stream.Write(json);
        for (var i = json.Length; i < padded; i++)
        {
            stream.WriteByte((byte)' ');
        }

        var buffer = new byte[64 << 20];
        for (var t = 0; t < entries.Count; t++)
        {
            var total = entries[t].ByteCount;
            for (long done = 0; done < total;)
            {
                var n = (int)Math.Min(buffer.Length, total - done);
                fill(t, done, buffer.AsMemory(0, n));
                stream.Write(buffer, 0, n);
                done += n;
            }
        }
    }

    public static string DTypeName(DType type) => type switch
    {
        DType.F32 => "F32",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.I32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static int ElementSize(DType type) => type is DType.F16 or DType.BF16 ? 2 : 4;
}
