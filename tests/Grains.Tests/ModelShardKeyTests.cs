using InferMesh.Contracts;

namespace InferMesh.Grains.Tests;

public sealed class ModelShardKeyTests
{
    [Fact]
    public void Key_round_trips_even_when_the_model_name_contains_slashes()
    {
        var key = new ModelShardKey("Qwen/Qwen2.5-0.5B", 12, 23, "10.0.0.5:11111@123456", "cuda:1");

        Assert.Equal(key, ModelShardKey.Parse(key.ToString()));
    }

    [Theory]
    [InlineData("model-only")]
    [InlineData("m/layers x-y/10.0.0.5:11111@1/cpu")]
    [InlineData("m/0-1/10.0.0.5:11111@1/cpu")]
    public void Malformed_key_is_rejected_with_its_text(string key)
    {
        var error = Assert.Throws<FormatException>(() => ModelShardKey.Parse(key));

        Assert.Contains(key, error.Message);
    }
}
