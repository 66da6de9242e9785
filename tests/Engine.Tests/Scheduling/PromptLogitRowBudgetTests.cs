using InferMesh.Engine.KvCache;
using InferMesh.Engine.Scheduling;

namespace InferMesh.Engine.Tests.Scheduling;

/// <summary>
/// Sequences that asked for prompt logprobs keep the logits of every prompt row, so one step takes at most
/// <see cref="SchedulerOptions.PromptLogitRows"/> of their rows; other sequences are not held back by that.
/// </summary>
public sealed class PromptLogitRowBudgetTests
{
    private static readonly int[] LongPrompt = Enumerable.Range(3, 200).ToArray();

    private static Scheduler NewScheduler() => new(new BlockAllocator(256, 16), new SchedulerOptions { MaxBatchTokens = 1024, MaxSequences = 8 });

    [Fact]
    public void Prompt_logprob_sequences_share_the_rows_of_one_step()
    {
        var scheduler = NewScheduler();
        var first = new Sequence(1, LongPrompt, 4) { AllPromptLogits = true };
        var second = new Sequence(2, LongPrompt, 4) { AllPromptLogits = true };
        scheduler.Enqueue(first);
        scheduler.Enqueue(second);

        var plan = scheduler.Schedule([]);

        Assert.Equal(SchedulerOptions.PromptLogitRows, Assert.Single(plan).Count);
        Assert.Same(first, plan[0].Sequence);
    }

    [Fact]
    public void A_request_queued_behind_a_prompt_logprob_sequence_without_rows_is_still_admitted()
    {
        var scheduler = NewScheduler();
        var first = new Sequence(1, LongPrompt, 4) { AllPromptLogits = true };
        var waiting = new Sequence(2, LongPrompt, 4) { AllPromptLogits = true };
        var plain = new Sequence(3, LongPrompt, 4);
        scheduler.Enqueue(first);
        scheduler.Enqueue(waiting);
        scheduler.Enqueue(plain);

        var plan = scheduler.Schedule([]);

        Assert.Equal([first, plain], plan.Select(c => c.Sequence));
        Assert.Equal(LongPrompt.Length, plan[1].Count);
    }
}
