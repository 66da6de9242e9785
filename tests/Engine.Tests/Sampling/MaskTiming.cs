using System.Diagnostics;
using InferMesh.Engine.Sampling;

namespace InferMesh.Engine.Tests.Sampling;

/// <summary>
/// Milliseconds one <see cref="IOutputConstraint.Mask"/> takes over the whole vocabulary, averaged over the steps of a
/// document the constraint must allow token by token; best of three passes, since test classes share the machine.
/// </summary>
internal static class MaskTiming
{
    public static double PerStep(Func<IOutputConstraint> create, int[] ids, int vocabulary)
    {
        var logits = new float[vocabulary];
        var best = double.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var constraint = create();
            var watch = new Stopwatch();
            foreach (var id in ids)
            {
                Array.Clear(logits);
                watch.Start();
                constraint.Mask(logits);
                watch.Stop();
                Assert.False(float.IsNegativeInfinity(logits[id]), $"token {id} of the document was masked");
                constraint.Advance(id);
            }

            best = Math.Min(best, watch.Elapsed.TotalMilliseconds / ids.Length);
        }

        return best;
    }
}
