namespace InferMesh.Contracts;

/// <summary>
/// One conversation, keyed <c>tenant/session</c> (see <see cref="SessionKeys"/>). It owns the conversation's state
/// (persisted through grain storage) and keeps its KV resident in the engine of the silo it runs on, so each turn
/// prefills only its new tokens. Turns of one session run one at a time: a second concurrent turn is refused with
/// <see cref="InferenceErrorKind.SessionBusy"/>.
/// </summary>
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>Runs one turn and streams its reply; the turn is stored before the finishing delta is sent.</summary>
    IAsyncEnumerable<TokenDelta> Chat(ChatTurn turn, CancellationToken cancellationToken = default);

    Task<SessionHistory> History();

    /// <summary>Forgets the conversation and frees its KV.</summary>
    Task Reset();

    /// <summary>Copies this conversation into a new session of the same tenant and returns the new session's id.</summary>
    Task<string> Fork(string newSessionId);

    /// <summary>Replaces this session's state with another session's (used by <see cref="Fork"/>).</summary>
    Task Import(SessionSnapshot snapshot);
}
