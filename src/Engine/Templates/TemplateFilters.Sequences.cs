namespace InferMesh.Engine.Templates;

// Filters over sequences: select/reject(attr), map, sort, dictsort, unique, min/max, groupby, batch, slice.
internal static partial class TemplateFilters
{
    private static List<object?> SelectAttribute(object? value, CallArguments args, bool keep)
    {
        if (!PythonValues.IsTruthy(value))
        {
            return []; // jinja2's select_or_reject and map start with "if value:", so None or '' give nothing
        }

        var attribute = args.GetString(0, "attr");
        var test = args.Count > 1 ? PythonValues.ToStr(args.Positional[1]) : null;
        var testArgs = args.Skip(2);
        return PythonValues.Iterate(value).Select(PythonValues.Normalize).Where(item =>
        {
            var field = Path(item, attribute);
            var pass = test is null ? PythonValues.IsTruthy(field) : TemplateTests.Apply(test, field, testArgs);
            return pass == keep;
        }).ToList();
    }

    private static List<object?> Select(object? value, CallArguments args, bool keep)
    {
        if (!PythonValues.IsTruthy(value))
        {
            return []; // jinja2's select_or_reject and map start with "if value:", so None or '' give nothing
        }

        var test = args.Count > 0 ? PythonValues.ToStr(args.Positional[0]) : null;
        var testArgs = args.Skip(1);
        return PythonValues.Iterate(value).Select(PythonValues.Normalize)
            .Where(item => (test is null ? PythonValues.IsTruthy(item) : TemplateTests.Apply(test, item, testArgs)) == keep).ToList();
    }

    private static List<object?> Map(object? value, CallArguments args)
    {
        if (!PythonValues.IsTruthy(value))
        {
            return []; // jinja2's select_or_reject and map start with "if value:", so None or '' give nothing
        }

        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize);
        if (args.TryGet(-1, "attribute", out var attribute))
        {
            var hasDefault = args.TryGet(-1, "default", out var fallback);
            return items.Select(item => Path(item, PythonValues.ToStr(attribute)) is Undefined && hasDefault ? fallback : Path(item, PythonValues.ToStr(attribute))).ToList();
        }

        if (args.Count == 0)
        {
            throw new InvalidOperationException("map needs a filter name or attribute=");
        }

        var filter = PythonValues.ToStr(args.Positional[0]);
        var filterArgs = args.Skip(1);
        return items.Select(item => Apply(filter, item, filterArgs)).ToList();
    }

    private static Func<object?, object?> SortKey(CallArguments args, int caseArg, int attributeArg)
    {
        var caseSensitive = args.GetBool(caseArg, "case_sensitive");
        var attribute = args.Get(attributeArg, "attribute") as string;
        return item =>
        {
            var key = Path(item, attribute);
            return !caseSensitive && key is string s ? PythonCase.Lower(s) : key;
        };
    }

    private static List<object?> Sort(object? value, CallArguments args)
    {
        var key = SortKey(args, 1, 2);
        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
        var comparer = Comparer<object?>.Create(PythonValues.Compare);
        var sorted = args.GetBool(0, "reverse") ? items.OrderByDescending(key, comparer) : items.OrderBy(key, comparer);
        return [.. sorted];
    }

    private static List<object?> DictSort(object? value, CallArguments args)
    {
        var byValue = args.GetString(1, "by", "key") == "value";
        var caseSensitive = args.GetBool(0, "case_sensitive");
        var pairs = (PythonValues.Normalize(value) as IReadOnlyDictionary<string, object?> ?? throw new InvalidOperationException("dictsort needs a mapping"))
            .Select(kv => new object?[] { kv.Key, PythonValues.Normalize(kv.Value) }).ToList();
        object? Key(object?[] pair) => pair[byValue ? 1 : 0] is string s && !caseSensitive ? PythonCase.Lower(s) : pair[byValue ? 1 : 0];
        var comparer = Comparer<object?>.Create(PythonValues.Compare);
        var sorted = args.GetBool(2, "reverse") ? pairs.OrderByDescending(Key, comparer) : pairs.OrderBy(Key, comparer);
        return sorted.Cast<object?>().ToList();
    }

    private static List<object?> Unique(object? value, CallArguments args)
    {
        var key = SortKey(args, 0, 1);
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PythonValues.Iterate(value).Select(PythonValues.Normalize))
        {
            var k = key(item);
            if (!seen.Any(s => PythonValues.AreEqual(s, k)))
            {
                seen.Add(k);
                result.Add(item);
            }
        }

        return result;
    }

    private static object? MinMax(object? value, CallArguments args, bool max)
    {
        var key = SortKey(args, 0, 1);
        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
        if (items.Count == 0)
        {
            return new Undefined($"No aggregated item, sequence was empty.");
        }

        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var c = PythonValues.Compare(key(item), key(best));
            if (max ? c > 0 : c < 0)
            {
                best = item;
            }
        }

        return best;
    }

    /// <summary>jinja2's groupby(attribute, default=None, case_sensitive=False): (grouper, list) tuples sorted by grouper.</summary>
    private static List<object?> GroupBy(object? value, CallArguments args)
    {
        var attribute = args.GetString(0, "attribute");
        var hasDefault = args.TryGet(1, "default", out var fallback);
        var caseSensitive = args.GetBool(2, "case_sensitive");
        object? Field(object? item) => Path(item, attribute) is Undefined && hasDefault ? fallback : Path(item, attribute);
        object? Key(object? item) => !caseSensitive && Field(item) is string s ? PythonCase.Lower(s) : Field(item);
        var comparer = Comparer<object?>.Create(PythonValues.Compare);
        var sorted = PythonValues.Iterate(value).Select(PythonValues.Normalize).OrderBy(Key, comparer).ToList();
        var groups = new List<object?>();
        for (var i = 0; i < sorted.Count;)
        {
            var key = Key(sorted[i]);
            var members = new List<object?>();
            while (i < sorted.Count && PythonValues.AreEqual(Key(sorted[i]), key))
            {
                members.Add(sorted[i++]);
            }

            // Without case sensitivity jinja2 reports the first member's own value, not the lower-cased key.
            groups.Add(new GroupTuple(caseSensitive ? key : Field(members[0]), members));
        }

        return groups;
    }

    /// <summary>jinja2's batch(linecount, fill_with=None): lists of linecount items, the last padded if fill_with is given.</summary>
    private static List<object?> Batch(object? value, CallArguments args)
    {
        var size = (int)args.GetLong(0, "linecount", 1);
        if (size <= 0)
        {
            throw new InvalidOperationException("batch size must be positive");
        }

        var hasFill = args.TryGet(1, "fill_with", out var fill) && fill is not null;
        var batches = PythonValues.Iterate(value).Select(PythonValues.Normalize).Chunk(size).Select(c => (object?)c.ToList()).ToList();
        if (hasFill && batches.Count > 0 && batches[^1] is List<object?> last)
        {
            while (last.Count < size)
            {
                last.Add(fill);
            }
        }

        return batches;
    }

    /// <summary>jinja2's slice(slices, fill_with=None): the items cut into that many columns, earlier ones one longer.</summary>
    private static List<object?> SliceInto(object? value, CallArguments args)
    {
        var items = PythonValues.Iterate(value).Select(PythonValues.Normalize).ToList();
        var slices = (int)args.GetLong(0, "slices", 1);
        if (slices <= 0)
        {
            throw new InvalidOperationException("slices must be positive");
        }

        var hasFill = args.TryGet(1, "fill_with", out var fill) && fill is not null;
        int perSlice = items.Count / slices, withExtra = items.Count % slices, offset = 0;
        var result = new List<object?>();
        for (var n = 0; n < slices; n++)
        {
            var start = offset + (n * perSlice);
            if (n < withExtra)
            {
                offset++;
            }

            var column = items.GetRange(start, offset + ((n + 1) * perSlice) - start);
            if (hasFill && n >= withExtra)
            {
                column.Add(fill);
            }

            result.Add(column);
        }

        return result;
    }
}
