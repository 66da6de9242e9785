using System.Text.Json;
using InferMesh.Engine.Loading;

namespace InferMesh.Engine.Tests.Loading;

public sealed class ShardedWeightsTests
{
    /// <summary>Rewrites a golden folder's weights as two shards plus model.safetensors.index.json.</summary>
    private static string Reshard(string name)
    {
        var dir = SafetensorsBytes.CopyGolden(name);
        var single = Path.Combine(dir, "model.safetensors");
        var map = new Dictionary<string, string>();
        using (var source = SafetensorsFile.Open(single))
        {
            var names = source.Names.OrderBy(n => n, StringComparer.Ordinal).ToArray();
            var halves = new[] { names[..(names.Length / 2)], names[(names.Length / 2)..] };
            for (var s = 0; s < 2; s++)
            {
                var file = $"model-0000{s + 1}-of-00002.safetensors";
                var tensors = halves[s].Select(source.Get).ToArray();
                SafetensorsWriter.Write(Path.Combine(dir, file), tensors.Select(t => new SafetensorsWriter.Entry(t.Name, t.DType, t.Shape)).ToArray(),
                    (i, offset, memory) => tensors[i].Data.Slice((int)offset, memory.Length).CopyTo(memory.Span));
                foreach (var t in tensors)
                {
                    map[t.Name] = file;
                }
            }
        }

        File.Delete(single);
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        return dir;
    }

    [Fact]
    public void Sharded_weights_hold_the_same_bytes_as_the_single_file()
    {
        var dir = Reshard("tiny-qwen2");
        using var sharded = WeightStore.Open(dir);
        using var single = WeightStore.Open(RepoPaths.Golden("tiny-qwen2"));
        Assert.Equal(2, sharded.Files.Count);
        Assert.Equal(single.Names.Order(), sharded.Names.Order());
        foreach (var name in single.Names)
        {
            Assert.True(single.Get(name).Data.SequenceEqual(sharded.Get(name).Data), name);
        }
    }

    [Fact]
    public void Missing_shard_is_named()
    {
        var dir = Reshard("tiny-llama");
        File.Delete(Path.Combine(dir, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<ModelLoadException>(() => WeightStore.Open(dir));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Tensor_listed_in_the_index_but_absent_from_its_shard_is_named()
    {
        var dir = Reshard("tiny-llama");
        var indexPath = Path.Combine(dir, "model.safetensors.index.json");
        var index = JsonDocument.Parse(File.ReadAllText(indexPath));
        var map = index.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        map["model.layers.9.mlp.up_proj.weight"] = "model-00001-of-00002.safetensors";
        File.WriteAllText(indexPath, JsonSerializer.Serialize(new { weight_map = map }));
        var e = Assert.Throws<ModelLoadException>(() => WeightStore.Open(dir));
        Assert.Contains("model.layers.9.mlp.up_proj.weight", e.Message);
        Assert.Contains("not present in this shard", e.Message);
    }

    [Fact]
    public void Weight_map_entry_that_is_not_a_file_name_is_named()
    {
        var dir = Reshard("tiny-llama");
        var indexPath = Path.Combine(dir, "model.safetensors.index.json");
        File.WriteAllText(indexPath, """{"weight_map":{"model.norm.weight":7}}""");
        var e = Assert.Throws<ModelLoadException>(() => WeightStore.Open(dir));
        Assert.Contains(indexPath, e.Message);
        Assert.Contains("model.norm.weight", e.Message);
    }

    [Fact]
    public void Shard_outside_the_model_folder_is_refused()
    {
        var dir = Reshard("tiny-llama");
        File.WriteAllText(Path.Combine(dir, "model.safetensors.index.json"), """{"weight_map":{"model.norm.weight":"../model-00001-of-00002.safetensors"}}""");
        var e = Assert.Throws<ModelLoadException>(() => WeightStore.Open(dir));
        Assert.Contains("model.norm.weight", e.Message);
        Assert.Contains("not a file name", e.Message);
    }

    [Fact]
    public void Missing_tensor_names_the_tensor_and_the_files_searched()
    {
        using var store = WeightStore.Open(Reshard("tiny-llama"));
        Assert.False(store.TryGet("model.layers.7.mlp.up_proj.weight", out _));
        var e = Assert.Throws<ModelLoadException>(() => store.Get("model.layers.7.mlp.up_proj.weight"));
        Assert.Contains("'model.layers.7.mlp.up_proj.weight'", e.Message);
        Assert.Contains("model-00001-of-00002.safetensors", e.Message);
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
    }

    [Fact]
    public void Folder_without_weights_says_what_it_looked_for()
    {
        var dir = SafetensorsBytes.TempDir();
        var e = Assert.Throws<ModelLoadException>(() => WeightStore.Open(dir));
        Assert.Contains(dir, e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }
}
