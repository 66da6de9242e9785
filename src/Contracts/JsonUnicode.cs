using System.Text.Json;

namespace InferMesh.Contracts;

/// <summary>
/// Whether parsed JSON's strings are Unicode. JSON text may escape a lone UTF-16 surrogate (<c>"\ud800"</c>);
/// System.Text.Json parses it but cannot turn it into a string: <c>GetString()</c>, a property's <c>Name</c> and
/// <c>WriteTo</c> throw InvalidOperationException. Check with this before using such values.
/// </summary>
public static class JsonUnicode
{
    /// <summary>True when every string value and property name in <paramref name="element"/> decodes to valid UTF-16.</summary>
    public static bool IsValid(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return Decodes(() => element.GetString());
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (!IsValid(item))
                    {
                        return false;
                    }
                }

                return true;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!Decodes(() => property.Name) || !IsValid(property.Value))
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    private static bool Decodes(Func<string?> read)
    {
        try
        {
            read();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
