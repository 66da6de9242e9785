using InferMesh.Engine.Loading;
using InferMesh.Kernels;

namespace InferMesh.Engine.Tests.Loading;

public sealed class SafetensorsFileTests
{
    private static string Write(byte[] bytes)
    {
        var path = Path.Combine(SafetensorsBytes.TempDir(), "model.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ModelLoadException Fails(byte[] bytes, out string path)
    {
        var p = Write(bytes);
        path = p;
        return Assert.Throws<ModelLoadException>(() => SafetensorsFile.Open(p).Dispose());
    }

    [Fact]
    public void Valid_file_exposes_dtype_shape_and_bytes()
    {
        var path = Write(SafetensorsBytes.Build("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}}""", 32));
        using var file = SafetensorsFile.Open(path);
        var a = file.Get("a");
        Assert.Equal(DType.F32, a.DType);
        Assert.Equal([2L, 3L], a.Shape);
        Assert.Equal(24, a.Data.Length);
        Assert.Equal(DType.BF16, file.Get("b").DType);
        Assert.Equal((byte)(24 * 7), file.Get("b").Data[0]);
    }

    [Fact]
    public void File_shorter_than_the_header_length_field_names_the_file()
    {
        var e = Fails([1, 2, 3], out var path);
        Assert.Contains(path, e.Message);
        Assert.Contains("too short", e.Message);
    }

    [Fact]
    public void Header_length_past_the_end_of_the_file_is_reported()
    {
        var e = Fails(SafetensorsBytes.Build("{}", 0, headerLengthOverride: 1_000_000), out var path);
        Assert.Contains(path, e.Message);
        Assert.Contains("past the end", e.Message);
    }

    [Fact]
    public void Header_that_is_not_json_is_reported()
    {
        var e = Fails(SafetensorsBytes.Build("{not json", 0), out var path);
        Assert.Contains(path, e.Message);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void Truncated_data_section_names_file_and_tensor()
    {
        var e = Fails(SafetensorsBytes.Build("""{"weight":{"dtype":"F32","shape":[4,4],"data_offsets":[0,64]}}""", 40), out var path);
        Assert.Contains(path, e.Message);
        Assert.Contains("'weight'", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Offsets_outside_the_data_section_name_the_tensor()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[100,104]}}""", 8), out _);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("data section has only 8 bytes", e.Message);
    }

    [Fact]
    public void Begin_after_end_is_reported()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}""", 8), out _);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("invalid data_offsets", e.Message);
    }

    [Fact]
    public void Overlapping_tensors_name_both()
    {
        var e = Fails(SafetensorsBytes.Build("""{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}""", 24), out _);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("'b'", e.Message);
        Assert.Contains("overlaps", e.Message);
    }

    [Fact]
    public void Size_not_matching_shape_and_dtype_is_reported()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,16]}}""", 16), out _);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs 8", e.Message);
    }

    [Fact]
    public void Unknown_dtype_names_the_tensor_and_the_dtype()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"Q4_K","shape":[4],"data_offsets":[0,4]}}""", 4), out var path);
        Assert.Contains(path, e.Message);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("Q4_K", e.Message);
    }

    [Fact]
    public void Known_but_unsupported_dtype_fails_only_when_the_tensor_is_used()
    {
        var path = Write(SafetensorsBytes.Build("""{"steps":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", 8));
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<ModelLoadException>(() => file.Get("steps"));
        Assert.Contains("I64", e.Message);
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama3-bf16")]
    [InlineData("tiny-mistral-sw8")]
    public void Golden_weights_expose_every_header_tensor_at_its_offset(string name)
    {
        // An independent read of the format: 8-byte little-endian N, N bytes of JSON, then the data section.
        var path = Path.Combine(RepoPaths.Golden(name), "model.safetensors");
        var bytes = File.ReadAllBytes(path);
        var headerLength = (int)BitConverter.ToUInt64(bytes, 0);
        var header = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, headerLength)).RootElement;
        using var file = SafetensorsFile.Open(path);
        var entries = header.EnumerateObject().Where(p => p.Name != "__metadata__").ToArray();
        Assert.Equal(entries.Select(p => p.Name).Order(), file.Names.Order());
        foreach (var entry in entries)
        {
            var t = file.Get(entry.Name);
            var begin = entry.Value.GetProperty("data_offsets")[0].GetInt32();
            var end = entry.Value.GetProperty("data_offsets")[1].GetInt32();
            Assert.Equal(entry.Value.GetProperty("dtype").GetString(), t.DType.ToString());
            Assert.Equal(entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()), t.Shape);
            Assert.True(bytes.AsSpan(8 + headerLength + begin, end - begin).SequenceEqual(t.Data), entry.Name);
        }

        Assert.Equal(header.GetProperty("__metadata__").GetProperty("format").GetString(), file.Metadata["format"]);
    }

    [Fact]
    public void Offsets_that_are_not_numbers_name_the_tensor()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":["0",4]}}""", 4), out var path);
        Assert.Contains(path, e.Message);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("data_offsets", e.Message);
    }

    [Fact]
    public void Shape_too_large_for_any_file_is_a_size_error_not_an_overflow()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}""", 4), out _);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("needs", e.Message);
    }

    [Fact]
    public void Tensor_named_twice_in_the_header_is_reported()
    {
        var e = Fails(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", 8), out _);
        Assert.Contains("'w'", e.Message);
        Assert.Contains("twice", e.Message);
    }

    [Fact]
    public void Gaps_between_tensors_and_empty_tensors_are_allowed()
    {
        var path = Write(SafetensorsBytes.Build("""{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"empty":{"dtype":"F32","shape":[0,3],"data_offsets":[8,8]},"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]}}""", 12));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(0, file.Get("empty").Length);
        Assert.Equal((byte)(8 * 7), file.Get("b").Data[0]);
    }

    [Fact]
    public void Reading_a_tensor_after_the_file_is_closed_throws_instead_of_reading_unmapped_memory()
    {
        var path = Write(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 4));
        var file = SafetensorsFile.Open(path);
        var w = file.Get("w");
        file.Dispose();
        file.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => w.Data.Length);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void Multi_gigabyte_file_is_mapped_not_read_into_managed_memory()
    {
        // A sparse 3 GiB file: one F32 tensor of 3 GiB behind a tiny header. Opening it must allocate about the
        // header, not the data; the >2 GiB tensor is read in parts.
        const long tensorBytes = 3L << 30;
        var header = System.Text.Encoding.UTF8.GetBytes($$$"""{"big":{"dtype":"F32","shape":[{{{tensorBytes / 4}}}],"data_offsets":[0,{{{tensorBytes}}}]}}""");
        var path = Path.Combine(SafetensorsBytes.TempDir(), "model.safetensors");
        using (var stream = File.Create(path))
        {
            stream.Write(BitConverter.GetBytes((ulong)header.Length));
            stream.Write(header);
            stream.SetLength(8 + header.Length + tensorBytes);
        }

        try
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            using var file = SafetensorsFile.Open(path);
            var big = file.Get("big");
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 1 << 20, $"opening allocated {allocated} bytes");
            Assert.Equal(tensorBytes, big.Length);
            Assert.Throws<NotSupportedException>(() => big.Data.Length);
            Assert.Equal(4096, big.DataAt(tensorBytes - 4096, 4096).Length);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
