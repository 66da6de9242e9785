using System.Text;
using System.Text.Json;

namespace InferMesh.Engine.Tokenization;

/// <summary>
/// One step of a tokenizer.json <c>decoder</c> (HF tokenizers/src/decoders): Replace, ByteFallback, Fuse, Strip,
/// Metaspace and ByteLevel, each a port of its <c>decode_chain</c> (a list of token strings to a list of strings)
/// plus a streaming form (<see cref="DecodeStage"/>) that yields the same text incrementally.
/// </summary>
internal abstract class DecoderStep
{
    /// <summary>HF <c>decode_chain</c>.</summary>
    public abstract List<string> DecodeChain(List<string> tokens);

    /// <summary>Whether the step joins all tokens into one (Fuse, ByteLevel), so later steps see one growing token.</summary>
    public virtual bool Fuses => false;

    /// <summary>The streaming form; <paramref name="afterFuse"/>: items are pieces of one fused token.</summary>
    public abstract DecodeStage CreateStage(bool afterFuse, DecodeStage next);

    /// <summary>Appends the steps of a decoder node (a Sequence is flattened, as its decode_chain chains its children).</summary>
    public static void Flatten(JsonElement node, string path, List<DecoderStep> steps)
    {
        string type = TokenizerJson.RequiredString(node, "type", path, "decoder");
        switch (type)
        {
            case "Sequence":
                foreach (JsonElement child in TokenizerJson.RequiredArray(node, "decoders", path, "decoder Sequence"))
                {
                    Flatten(child, path, steps);
                }

                break;
            case "Replace":
                steps.Add(ReplaceDecoder.Parse(node, path));
                break;
            case "ByteFallback":
                steps.Add(new ByteFallbackDecoder());
                break;
            case "Fuse":
                steps.Add(new FuseDecoder());
                break;
            case "Strip":
                steps.Add(new StripDecoder(
                    MetaspacePreTokenizer.ReadCharacter(node, "content", path, "decoder Strip"),
                    TokenizerJson.RequiredInt(node, "start", path, "decoder Strip"),
                    TokenizerJson.RequiredInt(node, "stop", path, "decoder Strip")));
                break;
            case "Metaspace":
                steps.Add(new MetaspaceDecoder(
                    MetaspacePreTokenizer.ReadCharacter(node, "replacement", path, "decoder Metaspace"),
                    MetaspacePreTokenizer.ReadScheme(node, path, "decoder Metaspace")));
                break;
            case "ByteLevel":
                steps.Add(new ByteLevelDecoder());
                break;
            default:
                throw new NotSupportedException(
                    $"{path}: decoder type '{type}' is not supported " +
                    "(supported: ByteLevel, Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence).");
        }
    }

    /// <summary>Whether the streaming form can follow a fusing step; the steps that cannot are named in load errors.</summary>
    public virtual bool StreamsAfterFuse => true;

    /// <summary>HF Replace as a decoder (tokenizers/src/normalizers/replace.rs): every match in each token replaced.</summary>
    private sealed class ReplaceDecoder(string? literal, PreTokenizerRegex? regex, string content) : DecoderStep
    {
        public override bool StreamsAfterFuse => literal is not null;

        public static ReplaceDecoder Parse(JsonElement node, string path)
        {
            string content = TokenizerJson.RequiredString(node, "content", path, "decoder Replace");
            JsonElement pattern = TokenizerJson.RequiredObject(node, "pattern", path, "decoder Replace");
            if (pattern.TryGetProperty("String", out JsonElement text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0)
            {
                return new ReplaceDecoder(text.GetString()!, null, content);
            }

            if (pattern.TryGetProperty("Regex", out JsonElement expression) && expression.ValueKind == JsonValueKind.String)
            {
                return new ReplaceDecoder(null, PreTokenizerRegex.Compile(expression.GetString()!, path, "decoder Replace"), content);
            }

            throw new NotSupportedException($"{path}: decoder Replace needs a non-empty pattern {{\"String\": ...}} or {{\"Regex\": ...}}.");
        }

        public override List<string> DecodeChain(List<string> tokens) => tokens.ConvertAll(Apply);

        public override DecodeStage CreateStage(bool afterFuse, DecodeStage next) =>
            afterFuse ? new StreamingReplace(literal!, content, next) : new DecodeStage.PerToken((token, _) => Apply(token), next);

        private string Apply(string token) =>
            literal is not null
                ? token.Replace(literal, content, StringComparison.Ordinal)
                : regex!.Replace(token, content.Replace("$", "$$", StringComparison.Ordinal));

        /// <summary>
        /// Replaces across pieces of one token: holds back the longest tail that could begin a match. A match found
        /// leftmost in the text so far is final, since one starting earlier would have to end inside that text.
        /// </summary>
        private sealed class StreamingReplace(string pattern, string content, DecodeStage next) : DecodeStage(next)
        {
            private string _held = string.Empty;

            public override void Push(string item)
            {
                string text = _held + item;
                var output = new StringBuilder(text.Length);
                int from = 0;
                for (int at = text.IndexOf(pattern, StringComparison.Ordinal); at >= 0; at = text.IndexOf(pattern, from, StringComparison.Ordinal))
                {
                    output.Append(text, from, at - from).Append(content);
                    from = at + pattern.Length;
                }

                int hold = 0;
                for (int length = Math.Min(pattern.Length - 1, text.Length - from); length > 0; length--)
                {
                    if (pattern.AsSpan(0, length).SequenceEqual(text.AsSpan(text.Length - length)))
                    {
                        hold = length;
                        break;
                    }
                }

                output.Append(text, from, text.Length - from - hold);
                _held = text[^hold..];
                if (output.Length > 0)
                {
                    NextStage.Push(output.ToString());
                }
            }

            public override void Flush()
            {
                if (_held.Length > 0)
                {
                    NextStage.Push(_held);
                    _held = string.Empty;
                }

                base.Flush();
            }
        }
    }

    /// <summary>HF Fuse (tokenizers/src/decoders/fuse.rs): all tokens joined into one.</summary>
    private sealed class FuseDecoder : DecoderStep
    {
        public override bool Fuses => true;

        public override List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];

        public override DecodeStage CreateStage(bool afterFuse, DecodeStage next) => new DecodeStage.PerToken((item, _) => item, next);
    }

    /// <summary>HF Metaspace as a decoder: '▁' becomes ' ', except in the first token unless prepend_scheme is "never".</summary>
    private sealed class MetaspaceDecoder(string replacement, PrependScheme scheme) : DecoderStep
    {
        public override List<string> DecodeChain(List<string> tokens)
        {
            var result = new List<string>(tokens.Count);
            for (int i = 0; i < tokens.Count; i++)
            {
                result.Add(Apply(tokens[i], i));
            }

            return result;
        }

        // After a fuse every piece belongs to token 0.
        public override DecodeStage CreateStage(bool afterFuse, DecodeStage next) =>
            new DecodeStage.PerToken((item, index) => Apply(item, afterFuse ? 0 : index), next);

        // HF drops every replacement character of the first token (flat_map to None), not only a leading one.
        private string Apply(string token, int index) =>
            token.Replace(replacement, index == 0 && scheme != PrependScheme.Never ? string.Empty : " ", StringComparison.Ordinal);
    }

    /// <summary>HF ByteLevel as a decoder: each token's byte characters back to bytes, all of them read as lossy UTF-8.</summary>
    private sealed class ByteLevelDecoder : DecoderStep
    {
        public override bool Fuses => true;

        public override bool StreamsAfterFuse => false;

        public override List<string> DecodeChain(List<string> tokens)
        {
            var bytes = new List<byte>();
            foreach (string token in tokens)
            {
                bytes.AddRange(TokenBytes(token));
            }

            return [Encoding.UTF8.GetString(bytes.ToArray())];
        }

        public override DecodeStage CreateStage(bool afterFuse, DecodeStage next) => new Stage(next);

        /// <summary>The token's bytes through GPT-2's alphabet, or its own UTF-8 when a character is outside it.</summary>
        public static byte[] TokenBytes(string token)
        {
            var bytes = new byte[token.Length];
            for (int i = 0; i < token.Length; i++)
            {
                if (!ByteLevelAlphabet.TryGetByte(token[i], out bytes[i]))
                {
                    return Encoding.UTF8.GetBytes(token);
                }
            }

            return bytes;
        }

        private sealed class Stage(DecodeStage next) : DecodeStage(next)
        {
            private readonly Decoder _utf8 = new UTF8Encoding(false, false).GetDecoder();

            public override void Push(string item)
            {
                byte[] bytes = TokenBytes(item);
                var chars = new char[bytes.Length + 4];
                int count = _utf8.GetChars(bytes, chars, flush: false);
                if (count > 0)
                {
                    NextStage.Push(new string(chars, 0, count));
                }
            }

            public override void Flush()
            {
                var chars = new char[8];
                int count = _utf8.GetChars([], chars, flush: true);
                if (count > 0)
                {
                    NextStage.Push(new string(chars, 0, count));
                }

                base.Flush();
            }
        }
    }
}
