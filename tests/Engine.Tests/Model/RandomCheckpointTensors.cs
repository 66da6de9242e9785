using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Model;

/// <summary>
/// The tensors of a tiny random checkpoint, drawn in the order they are added (uniform in offset ± scale, float32),
/// written as model.safetensors with the golden tokenizer beside it: what the float64-transcription tests load.
/// </summary>
internal sealed class RandomCheckpointTensors(int seed)
{
    private readonly Random _random = new(seed);

    public Dictionary<string, (float[] Data, long[] Shape)> Tensors { get; } = [];

    public void Add(string name, long[] shape, double scale, double offset = 0)
    {
        var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(offset + (scale * ((_random.NextDouble() * 2) - 1)));
        }

        Tensors[name] = (data, shape);
    }

    /// <summary>model.safetensors (names in ordinal order) and the golden tiny-llama tokenizer.json into <paramref name="folder"/>.</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        var names = Tensors.Keys.Order(StringComparer.Ordinal).ToArray();
        SafetensorsWriter.Write(
            Path.Combine(folder, "model.safetensors"),
            names.Select(n => new SafetensorsWriter.Entry(n, DType.F32, Tensors[n].Shape)).ToArray(),
            (i, offset, buffer) => System.Runtime.InteropServices.MemoryMarshal.AsBytes(Tensors[names[i]].Data.AsSpan()).Slice((int)offset, buffer.Length).CopyTo(buffer.Span));
        File.Copy(Path.Combine(RepoPaths.Golden("tiny-llama"), "tokenizer.json"), Path.Combine(folder, "tokenizer.json"), overwrite: true);
    }
}
