using InferMesh.Engine.SequenceParallel;

namespace InferMesh.Engine.Tests.SequenceParallel;

/// <summary>The zig-zag split: every position exactly once, chunks within one token of each other, causal work balanced.</summary>
public sealed class SequencePartitionTests
{
    [Theory]
    [InlineData(11, 2)]
    [InlineData(301, 3)]
    [InlineData(1181, 4)]
    [InlineData(16, 8)]
    public void Zig_zag_gives_every_position_to_exactly_one_member(int length, int members)
    {
        var partition = SequencePartition.ZigZag(length, members);

        var all = Enumerable.Range(0, members).SelectMany(partition.Positions).Order().ToArray();
        Assert.Equal(Enumerable.Range(0, length), all);
    }

    [Theory]
    [InlineData(301, 3)]
    [InlineData(1181, 4)]
    public void Zig_zag_member_i_holds_chunk_i_and_chunk_2N_minus_1_minus_i(int length, int members)
    {
        var partition = SequencePartition.ZigZag(length, members);
        var chunks = 2 * members;
        for (var i = 0; i < members; i++)
        {
            // Chunk c covers [floor(c·L/2N), floor((c+1)·L/2N)).
            int Start(int c) => (int)((long)c * length / chunks);
            var expected = Enumerable.Range(Start(i), Start(i + 1) - Start(i))
                .Concat(Enumerable.Range(Start(chunks - 1 - i), Start(chunks - i) - Start(chunks - 1 - i)));
            Assert.Equal(expected, partition.Positions(i));
        }
    }

    [Theory]
    [InlineData(32768, 2)]
    [InlineData(32768, 4)]
    [InlineData(100003, 8)]
    public void Zig_zag_balances_causal_score_pairs_within_5_percent(int length, int members)
    {
        var partition = SequencePartition.ZigZag(length, members);

        var pairs = Enumerable.Range(0, members).Select(m => partition.CausalScorePairs(m)).ToArray();

        Assert.Equal((long)length * (length + 1) / 2, pairs.Sum());
        Assert.True(pairs.Max() <= 1.05 * pairs.Min(), $"score pairs per member: {string.Join(", ", pairs)}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void VisiblePairs_counts_what_a_brute_force_mask_counts(int window)
    {
        int[] queries = [0, 3, 4, 9, 12, 20];
        int[] keys = [1, 2, 4, 8, 9, 10, 19, 25];

        var expected = queries.Sum(q => keys.Count(k => k <= q && (window == 0 || k > q - window)));

        Assert.Equal(expected, SequencePartition.VisiblePairs(queries, keys, window));
    }

    [Fact]
    public void A_contiguous_split_is_unbalanced_under_the_causal_mask()
    {
        var partition = SequencePartition.Contiguous(32768, 4);

        var pairs = Enumerable.Range(0, 4).Select(m => partition.CausalScorePairs(m)).ToArray();

        Assert.True(pairs.Max() > 5 * pairs.Min(), $"score pairs per member: {string.Join(", ", pairs)}");
    }

    [Fact]
    public void A_prompt_shorter_than_2N_tokens_is_refused_with_the_minimum_length()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SequencePartition.ZigZag(7, 4));
        Assert.Contains("at least 8 tokens", e.Message);
    }

    [Fact]
    public void Locate_finds_the_member_and_row_of_a_position()
    {
        var partition = SequencePartition.ZigZag(10, 2); // chunks [0,2) [2,5) [5,7) [7,10): member 0 = 0,1,7,8,9; member 1 = 2,3,4,5,6
        Assert.Equal((0, 4), partition.Locate(9));
        Assert.Equal((1, 3), partition.Locate(5));
    }
}
