using System.Text.Json.Nodes;
using InferMesh.Engine.Tokenization;

namespace InferMesh.Engine.Tests.Tokenization;

/// <summary>Bad or unsupported tokenizer files fail at load with an error naming the file and the problem.</summary>
public sealed class TokenizerLoadErrorTests
{
    [Fact]
    public void Missing_file_names_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "tokenizer.json");
        var error = Assert.Throws<FileNotFoundException>(() => TextTokenizer.Load(path));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void Malformed_json_names_the_file_and_the_line()
    {
        string path = TokenizerFiles.WriteText("{\n  \"model\": {\"type\": \"BPE\",\n  oops }");
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("not valid JSON (line 3", error.Message);
    }

    [Theory]
    [InlineData("Unigram")]
    [InlineData("WordPiece")]
    [InlineData("WordLevel")]
    public void Unsupported_model_type_is_named(string type)
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["model"]!["type"] = type;
        string path = TokenizerFiles.Write(json);
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains($"model type '{type}'", error.Message);
    }

    [Fact]
    public void Unsupported_pre_tokenizer_is_named()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" };
        string path = TokenizerFiles.Write(json);
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("pre_tokenizer type 'BertPreTokenizer'", error.Message);
    }

    [Fact]
    public void Byte_fallback_with_the_byte_level_pre_tokenizer_is_named()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["model"]!["byte_fallback"] = true;
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(TokenizerFiles.Write(json)));
        Assert.Contains("byte_fallback", error.Message);
    }

    [Fact]
    public void Merge_of_unknown_token_names_the_merge()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["model"]!["merges"]!.AsArray().Insert(0, new JsonArray("Ġ", "nonexistent"));
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.Load(TokenizerFiles.Write(json)));
        Assert.Contains("model.merges[0]", error.Message);
        Assert.Contains("'nonexistent'", error.Message);
    }

    [Fact]
    public void Missing_model_is_named()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json.Remove("model");
        var error = Assert.Throws<InvalidDataException>(() => TextTokenizer.Load(TokenizerFiles.Write(json)));
        Assert.Contains("\"model\"", error.Message);
    }

    [Fact]
    public void Unsupported_normalizer_is_named()
    {
        var json = TokenizerFiles.LoadGoldenJson();
        json["normalizer"] = new JsonObject { ["type"] = "Precompiled", ["precompiled_charsmap"] = "AAAA" };
        var error = Assert.Throws<NotSupportedException>(() => TextTokenizer.Load(TokenizerFiles.Write(json)));
        Assert.Contains("normalizer type 'Precompiled'", error.Message);
    }
}
