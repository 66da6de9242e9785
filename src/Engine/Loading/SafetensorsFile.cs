using System.IO.MemoryMappedFiles;
using System.Text.Json;
using InferMesh.Kernels;

namespace InferMesh.Engine.Loading;

/// <summary>
/// One memory-mapped .safetensors file (https://github.com/huggingface/safetensors#format): an 8-byte little-endian
/// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}, then
/// the data section. Everything is validated before any tensor is used; each error names the file and the tensor.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorView> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unsupported = new(StringComparer.Ordinal);

    private SafetensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        Path = path;
        _map = map;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
    }

    public string Path { get; }

    public IEnumerable<string> Names => _tensors.Keys.Concat(_unsupported.Keys);

    public bool Contains(string name) => _tensors.ContainsKey(name) || _unsupported.ContainsKey(name);

    public TensorView Get(string name)
    {
        if (_tensors.TryGetValue(name, out var t))
        {
            return t;
        }

        if (_unsupported.TryGetValue(name, out var dtype))
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' has dtype {dtype}, which InferMesh cannot compute with (supported: F32, F16, BF16).");
        }

        throw new ModelLoadException($"{Path}: no tensor '{name}'.");
    }

    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new ModelLoadException($"{path}: missing.");
        }

        var length = new FileInfo(path).Length;
        if (length < 8)
        {
            throw new ModelLoadException($"{path}: {length} bytes is too short for a safetensors file (it starts with an 8-byte header length); the file is truncated or not safetensors.");
        }

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        var file = new SafetensorsFile(path, map, view);
        try
        {
            file.ReadHeader(length);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private void ReadHeader(long fileLength)
    {
        var headerLength = *(ulong*)_base;
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new ModelLoadException($"{Path}: header length {headerLength} runs past the end of the file ({fileLength} bytes); the file is truncated or corrupt.");
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = fileLength - dataStart;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(new ReadOnlyMemory<byte>(new ReadOnlySpan<byte>(_base + 8, (int)headerLength).ToArray()));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{Path}: the header is not valid JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ModelLoadException($"{Path}: the header must be a JSON object of tensors.");
            }

            var extents = new List<(long Begin, long End, string Name)>();
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    continue;
                }

                extents.Add(ReadEntry(entry, dataStart, dataLength));
            }

            extents.Sort((a, b) => a.Begin.CompareTo(b.Begin));
            for (var i = 1; i < extents.Count; i++)
            {
                if (extents[i].Begin < extents[i - 1].End)
                {
                    throw new ModelLoadException($"{Path}: tensor '{extents[i].Name}' (bytes {extents[i].Begin}..{extents[i].End}) overlaps tensor '{extents[i - 1].Name}' (bytes {extents[i - 1].Begin}..{extents[i - 1].End}); the header is corrupt.");
                }
            }
        }
    }

    private (long, long, string) ReadEntry(JsonProperty entry, long dataStart, long dataLength)
    {
        var name = entry.Name;
        var e = entry.Value;
        if (e.ValueKind != JsonValueKind.Object
            || !e.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String
            || !e.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array
            || !e.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' needs dtype (string), shape (array) and data_offsets ([begin, end]) in the header.");
        }

        var dtypeName = dtypeEl.GetString()!;
        var (dtype, elementSize, supported) = dtypeName switch
        {
            "F32" => (DType.F32, 4, true),
            "F16" => (DType.F16, 2, true),
            "BF16" => (DType.BF16, 2, true),
            "F64" or "I64" or "U64" => (DType.F32, 8, false),
            "I32" or "U32" => (DType.I32, 4, false),
            "I16" or "U16" => (DType.F32, 2, false),
            "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => (DType.F32, 1, false),
            _ => throw new ModelLoadException($"{Path}: tensor '{name}' has unknown dtype '{dtypeName}'; safetensors dtypes are F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL, F8_*."),
        };

        var shape = new long[shapeEl.GetArrayLength()];
        var elements = 1L;
        var i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
            {
                throw new ModelLoadException($"{Path}: tensor '{name}' has an invalid shape {shapeEl.GetRawText()}.");
            }

            shape[i++] = dim;
            elements = checked(elements * dim);
        }

        if (!offEl[0].TryGetInt64(out var begin) || !offEl[1].TryGetInt64(out var end) || begin < 0 || end < begin)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' has invalid data_offsets {offEl.GetRawText()} (need 0 ≤ begin ≤ end).");
        }

        if (end > dataLength)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' ends at data byte {end} but the data section has only {dataLength} bytes; the file is truncated or the offsets are corrupt.");
        }

        if (end - begin != elements * elementSize)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' has {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtypeName} needs {elements * elementSize}.");
        }

        if (supported)
        {
            _tensors[name] = new TensorView(name, Path, dtype, shape, _base + dataStart + begin, end - begin);
        }
        else
        {
            _unsupported[name] = dtypeName;
        }

        return (begin, end, name);
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
