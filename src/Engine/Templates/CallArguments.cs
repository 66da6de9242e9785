namespace InferMesh.Engine.Templates;

/// <summary>Evaluated arguments of a call, filter or test, bound Python-style by position or keyword.</summary>
internal sealed class CallArguments(object?[] positional, KeyValuePair<string, object?>[] keywords)
{
    public static readonly CallArguments None = new([], []);

    public object?[] Positional { get; } = positional;

    public KeyValuePair<string, object?>[] Keywords { get; } = keywords;

    public int Count => Positional.Length;

    public bool TryGet(int position, string name, out object? value)
    {
        if (position >= 0 && position < Positional.Length)
        {
            value = Positional[position];
            return true;
        }

        foreach (var kv in Keywords)
        {
            if (kv.Key == name)
            {
                value = kv.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    public object? Get(int position, string name, object? fallback = null) => TryGet(position, name, out var v) ? v : fallback;

    public string GetString(int position, string name, string fallback = "") =>
        TryGet(position, name, out var v) && v is not null ? PythonValues.ToStr(v) : fallback;

    public bool GetBool(int position, string name, bool fallback = false) =>
        TryGet(position, name, out var v) ? PythonValues.IsTruthy(v) : fallback;

    public long GetLong(int position, string name, long fallback) =>
        TryGet(position, name, out var v) && v is not null ? PythonValues.ToLong(v) : fallback;

    /// <summary>The positional arguments from <paramref name="from"/> on (e.g. a test's own arguments in select('equalto', x)).</summary>
    public CallArguments Skip(int from) => new(Positional.Length > from ? Positional[from..] : [], Keywords);

    public void ExpectAtMost(int count, string callee)
    {
        if (Positional.Length > count)
        {
            throw new InvalidOperationException($"{callee} takes at most {count} positional argument(s) but {Positional.Length} were given");
        }
    }
}
