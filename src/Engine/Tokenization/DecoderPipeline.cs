using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// A tokenizer.json <c>decoder</c> other than a lone ByteLevel (which <see cref="TextTokenizer"/> decodes through
/// per-token bytes): the steps of HF's <c>Decoder::decode</c> (decode_chain of each step in turn, then the pieces
/// concatenated), or, when the file has no decoder, HF's fallback of joining the tokens with spaces
/// (tokenizers/src/tokenizer/mod.rs, <c>TokenizerImpl::decode</c>). Llama 2 style files use
/// Sequence[Replace("▁", " "), ByteFallback, Fuse, Strip(" ", 1, 0)]; Metaspace-style ones the Metaspace decoder.
/// </summary>
internal sealed class DecoderPipeline
{
    private readonly List<DecoderStep> _steps;
    private readonly bool _joinWithSpaces;

    private DecoderPipeline(List<DecoderStep> steps, bool joinWithSpaces)
    {
        _steps = steps;
        _joinWithSpaces = joinWithSpaces;
    }

    /// <summary>The decoder the node describes; null for a lone ByteLevel decoder (the per-token byte path).</summary>
    public static DecoderPipeline? FromJson(JsonElement node, string path)
    {
        if (node.ValueKind == JsonValueKind.Null)
        {
            return new DecoderPipeline([], joinWithSpaces: true);
        }

        if (TokenizerJson.RequiredString(node, "type", path, "decoder") == "ByteLevel")
        {
            return null;
        }

        var steps = new List<DecoderStep>();
        DecoderStep.Flatten(node, path, steps);

        bool fused = false;
        foreach (DecoderStep step in steps)
        {
            if (fused && !step.StreamsAfterFuse)
            {
                throw new NotSupportedException(
                    $"{path}: decoder step {step.GetType().Name} after Fuse or ByteLevel is not supported " +
                    "(it cannot be decoded incrementally).");
            }

            fused |= step.Fuses;
        }

        return new DecoderPipeline(steps, joinWithSpaces: false);
    }

    public string Decode(List<string> tokens)
    {
        if (_joinWithSpaces)
        {
            return string.Join(' ', tokens);
        }

        foreach (DecoderStep step in _steps)
        {
            tokens = step.DecodeChain(tokens);
        }

        return string.Concat(tokens);
    }

    /// <summary>A streaming chain whose output goes to <paramref name="output"/>: push tokens, then flush.</summary>
    public DecodeStage CreateStream(StringBuilder output)
    {
        DecodeStage head = new DecodeStage.Collector(output, _joinWithSpaces);
        var fusedBefore = new bool[_steps.Count];
        for (int i = 1; i < _steps.Count; i++)
        {
            fusedBefore[i] = fusedBefore[i - 1] || _steps[i - 1].Fuses;
        }

        for (int i = _steps.Count - 1; i >= 0; i--)
        {
            head = _steps[i].CreateStage(fusedBefore[i], head);
        }

        return head;
    }
}
