using System.Text.Json;
using InferMesh.Engine.Loading;
using InferMesh.Engine.Model;

namespace InferMesh.Engine.Tests.Loading;

/// <summary>
/// Rotary frequencies against transformers' own (hf_rope_reference.json, written by make_rope_reference.py with
/// transformers 5.17.0 / torch 2.11.0 on CPU): each case's config.json is loaded here, in whichever rope form it uses,
/// and its float32 frequencies must equal torch's bit for bit, or differ by one unit in the last place where torch's
/// vectorised pow (SLEEF, 1-ulp accurate) and the C library's powf round differently.
/// </summary>
public sealed class HfRopeReferenceTests
{
    private static readonly JsonElement Reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "Engine.Tests", "Loading", "hf_rope_reference.json"))).RootElement;

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var c in Reference.GetProperty("cases").EnumerateArray())
        {
            data.Add(c.GetProperty("name").GetString()!, c.GetProperty("seq_len").ValueKind == JsonValueKind.Null ? 0 : c.GetProperty("seq_len").GetInt32());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Frequencies_and_attention_scaling_match_transformers(string name, int sequenceLength)
    {
        var c = Reference.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("name").GetString() == name
            && (e.GetProperty("seq_len").ValueKind == JsonValueKind.Null ? 0 : e.GetProperty("seq_len").GetInt32()) == sequenceLength);
        var path = Path.Combine(SafetensorsBytes.TempDir(), "config.json");
        File.WriteAllText(path, c.GetProperty("config").GetRawText());
        var config = ModelConfig.Load(path);

        var (inv, scaling) = sequenceLength == 0 ? RotaryFrequencies.Compute(config) : RotaryFrequencies.Compute(config, sequenceLength);

        var expected = c.GetProperty("inv_freq_bits").EnumerateArray().Select(b => b.GetUInt32()).ToArray();
        Assert.Equal(expected.Length, inv.Length);
        var ulps = expected.Select((bits, i) => Math.Abs((long)BitConverter.SingleToUInt32Bits(inv[i]) - bits)).ToArray();
        Assert.True(ulps.All(u => u <= 1), $"{name} (seq {sequenceLength}): ulps off per frequency [{string.Join(", ", ulps)}]");
        Assert.Equal((float)c.GetProperty("attention_scaling").GetDouble(), scaling);
    }
}
