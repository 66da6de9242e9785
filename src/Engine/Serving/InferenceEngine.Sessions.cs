using InferMesh.Engine.KvCache;
using InferMesh.Engine.Scheduling;

namespace InferMesh.Engine.Serving;

/// <summary>
/// Resident sessions: a finished turn keeps its blocks (the partial last one included) under its session key, so
/// the next turn prefills only the tokens after the longest common prefix. Idle sessions are the first KV given
/// back under memory pressure (least recently used first); their published blocks then remain in the prefix cache.
/// </summary>
public sealed partial class InferenceEngine
{
    private readonly Dictionary<string, ResidentSession> _sessions = [];
    private long _sessionClock;

    private void RetainSession(string key, Sequence seq)
    {
        DropSession(key);
        var tokens = seq.Tokens[..seq.ComputedTokens].ToArray();
        var blocks = new List<int>(seq.Blocks);
        var keep = (tokens.Length + _allocator.BlockSize - 1) / _allocator.BlockSize;
        for (var i = keep; i < blocks.Count; i++)
        {
            _allocator.Release(blocks[i]);
        }

        blocks.RemoveRange(keep, blocks.Count - keep);
        _sessions[key] = new ResidentSession(tokens, blocks, seq.PublishedBlocks) { LastUsed = ++_sessionClock };
    }

    /// <summary>Gives a new request of a known session the KV of its common prefix with the previous turn.</summary>
    private void ResumeSession(ActiveRequest active)
    {
        if (active.Request.SessionKey is not { } key || !_sessions.Remove(key, out var session))
        {
            return;
        }

        Resume(active.Sequence, session);
    }

    /// <summary>Starts a sequence from KV already in the cache for a prefix of its prompt (a session's or an import's).</summary>
    private void Resume(Sequence seq, ResidentSession session)
    {
        var prompt = seq.Tokens;
        var size = _allocator.BlockSize;

        // Longest common prefix, leaving at least one prompt token to compute so the step yields logits.
        var limit = Math.Min(session.Tokens.Length, prompt.Length - 1);
        var common = 0;
        while (common < limit && session.Tokens[common] == prompt[common])
        {
            common++;
        }

        var fullBlocks = common / size;
        var keepBlocks = fullBlocks;
        if (common % size != 0)
        {
            // The block holding the rewind point will be overwritten past `common`: only if we hold it alone.
            var partial = session.Blocks[fullBlocks];
            if (_allocator.ReferenceCount(partial) == 1)
            {
                _allocator.Unpublish(partial);
                keepBlocks++;
            }
            else
            {
                common = fullBlocks * size;
            }
        }

        for (var i = keepBlocks; i < session.Blocks.Count; i++)
        {
            _allocator.Release(session.Blocks[i]);
        }

        seq.Blocks.AddRange(session.Blocks.Take(keepBlocks));
        seq.ComputedTokens = common;
        seq.PublishedBlocks = Math.Min(session.PublishedBlocks, fullBlocks);
        seq.LastBlockHash = seq.HashSeed;
        for (var b = 0; b < seq.PublishedBlocks; b++)
        {
            seq.LastBlockHash = BlockHash.Of(seq.LastBlockHash, prompt.Slice(b * size, size));
        }
    }

    private void DropSession(string key)
    {
        if (_sessions.Remove(key, out var session))
        {
            foreach (var b in session.Blocks)
            {
                _allocator.Release(b);
            }
        }
    }

    /// <summary>Frees the least recently used resident session; false when there is none.</summary>
    private bool ReclaimOneSession()
    {
        string? oldest = null;
        var oldestUse = long.MaxValue;
        foreach (var (key, session) in _sessions)
        {
            if (session.LastUsed < oldestUse)
            {
                oldest = key;
                oldestUse = session.LastUsed;
            }
        }

        if (oldest is null)
        {
            return false;
        }

        DropSession(oldest);
        return true;
    }
}
