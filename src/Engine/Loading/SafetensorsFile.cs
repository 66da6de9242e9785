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
    /// <summary>The format's header cap (the reference implementation's MAX_HEADER_SIZE).</summary>
    public const int MaxHeaderBytes = 100_000_000;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Dictionary<string, TensorView> _tensors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _unsupported = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private int _disposed;

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

    /// <summary>The header's optional "__metadata__" string map (e.g. format: pt).</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

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

        MemoryMappedFile map;
        MemoryMappedViewAccessor view;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException($"{path}: cannot be memory-mapped for reading ({e.Message}).", e);
        }

        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            map.Dispose();
            throw new ModelLoadException($"{path}: cannot be memory-mapped for reading ({e.Message}).", e);
        }

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
        var headerLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(_base, 8));
        if (headerLength > (ulong)(fileLength - 8))
        {
            throw new ModelLoadException($"{Path}: header length {headerLength} runs past the end of the file ({fileLength} bytes); the file is truncated or corrupt.");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw new ModelLoadException($"{Path}: header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit of the safetensors format; the file is corrupt or not safetensors.");
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
                    ReadMetadata(entry.Value);
                    continue;
                }

                if (_tensors.ContainsKey(entry.Name) || _unsupported.ContainsKey(entry.Name))
                {
                    throw new ModelLoadException($"{Path}: tensor '{entry.Name}' appears twice in the header; the header is corrupt.");
                }

                extents.Add(ReadEntry(entry, dataStart, dataLength, fileLength));
            }

            // Sorted by begin, each non-empty tensor must start at or after the end of the previous one (gaps are
            // allowed here although the format's writer leaves none; empty tensors own no bytes and cannot overlap).
            extents.RemoveAll(x => x.Begin == x.End);
            extents.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            for (var i = 1; i < extents.Count; i++)
            {
                if (extents[i].Begin < extents[i - 1].End)
                {
                    throw new ModelLoadException($"{Path}: tensor '{extents[i].Name}' (data bytes {extents[i].Begin}..{extents[i].End}) overlaps tensor '{extents[i - 1].Name}' (data bytes {extents[i - 1].Begin}..{extents[i - 1].End}); the header's data_offsets are corrupt.");
                }
            }
        }
    }

    private (long, long, string) ReadEntry(JsonProperty entry, long dataStart, long dataLength, long fileLength)
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
        // Every dtype of the format is recognised so its size can be checked; only F32/F16/BF16 can be computed with.
        var (dtype, elementBits, supported) = dtypeName switch
        {
            "F32" => (DType.F32, 32, true),
            "F16" => (DType.F16, 16, true),
            "BF16" => (DType.BF16, 16, true),
            "F64" or "I64" or "U64" or "C64" => (DType.F32, 64, false),
            "I32" or "U32" => (DType.I32, 32, false),
            "I16" or "U16" => (DType.F32, 16, false),
            "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" or "F8_E8M0" => (DType.F32, 8, false),
            "F6_E2M3" or "F6_E3M2" => (DType.F32, 6, false),
            "F4" => (DType.F32, 4, false),
            _ => throw new ModelLoadException($"{Path}: tensor '{name}' has unknown dtype '{dtypeName}'; safetensors dtypes are F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL, C64, F8_E4M3, F8_E5M2, F8_E8M0, F6_E2M3, F6_E3M2, F4."),
        };

        var shape = new long[shapeEl.GetArrayLength()];
        var elements = (Int128)1;
        var i = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
            {
                throw new ModelLoadException($"{Path}: tensor '{name}' has an invalid shape {shapeEl.GetRawText()} (need non-negative integers).");
            }

            shape[i++] = dim;
            elements = Int128.Min(elements * dim, long.MaxValue);
        }

        long begin = 0, end = 0;
        if (offEl[0].ValueKind != JsonValueKind.Number || offEl[1].ValueKind != JsonValueKind.Number
            || !offEl[0].TryGetInt64(out begin) || !offEl[1].TryGetInt64(out end) || begin < 0 || end < begin)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' has invalid data_offsets {offEl.GetRawText()} (need integers 0 ≤ begin ≤ end).");
        }

        if (end > dataLength)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' has data_offsets [{begin}, {end}] but the data section has only {dataLength} bytes (file {fileLength} bytes, header {dataStart - 8}); the file is truncated or the offsets are corrupt.");
        }

        var needed = ((elements * elementBits) + 7) / 8;
        if (end - begin != needed)
        {
            throw new ModelLoadException($"{Path}: tensor '{name}' has {end - begin} bytes (data_offsets [{begin}, {end}]) but shape [{string.Join(", ", shape)}] of {dtypeName} needs {needed}; the header is corrupt.");
        }

        if (supported)
        {
            _tensors[name] = new TensorView(this, name, dtype, shape, _base + dataStart + begin, end - begin);
        }
        else
        {
            _unsupported[name] = dtypeName;
        }

        return (begin, end, name);
    }

    private void ReadMetadata(JsonElement metadata)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            throw new ModelLoadException($"{Path}: \"__metadata__\" must be an object of strings, not {metadata.ValueKind}.");
        }

        foreach (var m in metadata.EnumerateObject())
        {
            _metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
        }
    }

    /// <summary>Unmaps the file; views handed out before become unusable (they throw rather than read freed memory).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
