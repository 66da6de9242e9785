using InferMesh.Engine.Tokenization;

namespace InferMesh.Cli.Benchmarks;

/// <summary>
/// A RAG workload: a pool of text chunks cut from a corpus, and requests that each draw k chunks by Zipf popularity
/// (a few chunks recur often, most rarely, as retrieval does), in random order, between fixed instructions and a
/// question. Deterministic for a seed.
/// </summary>
internal sealed class RagWorkload
{
    public const string Instructions = "You are a careful assistant. Answer the question using only the documents below.\n\n";

    private RagWorkload(List<int[]> chunks, List<(int[] Chunks, int[] Question)> requests, int[] instructions)
    {
        Chunks = chunks;
        Requests = requests;
        InstructionIds = instructions;
    }

    public List<int[]> Chunks { get; }

    public List<(int[] Chunks, int[] Question)> Requests { get; }

    public int[] InstructionIds { get; }

    public static RagWorkload Create(TextTokenizer tokenizer, string corpus, int poolSize, int chunkTokens, int perRequest, int requests, double zipf, int seed)
    {
        var ids = tokenizer.Encode(corpus);
        var chunks = new List<int[]>();
        for (var start = 0; chunks.Count < poolSize && start + chunkTokens <= ids.Count; start += chunkTokens)
        {
            chunks.Add(ids.Skip(start).Take(chunkTokens).ToArray());
        }

        if (chunks.Count < perRequest)
        {
            throw new ArgumentException($"the corpus gives only {chunks.Count} chunks of {chunkTokens} tokens; need at least {perRequest} (use a larger --corpus or smaller --chunk-tokens).");
        }

        var rng = new Random(seed);
        var weights = Enumerable.Range(1, chunks.Count).Select(r => 1.0 / Math.Pow(r, zipf)).ToArray();
        var list = new List<(int[], int[])>();
        var questionSource = ids.Skip(Math.Min(ids.Count - 40, chunks.Count * chunkTokens)).ToArray();
        for (var r = 0; r < requests; r++)
        {
            var picked = new List<int>();
            while (picked.Count < perRequest)
            {
                var c = Draw(weights, rng);
                if (!picked.Contains(c))
                {
                    picked.Add(c);
                }
            }

            var offset = questionSource.Length > 24 ? rng.Next(questionSource.Length - 24) : 0;
            var question = tokenizer.Encode("\n\nQuestion: ").Concat(questionSource.Skip(offset).Take(16)).Concat(tokenizer.Encode("?\nAnswer:")).ToArray();
            list.Add((picked.ToArray(), question));
        }

        return new RagWorkload(chunks, list, tokenizer.Encode(Instructions).ToArray());
    }

    private static int Draw(double[] weights, Random rng)
    {
        var x = rng.NextDouble() * weights.Sum();
        for (var i = 0; i < weights.Length; i++)
        {
            x -= weights[i];
            if (x <= 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }
}
