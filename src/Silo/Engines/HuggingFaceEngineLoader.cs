using InferMesh.Engine.ChunkCache;
using InferMesh.Engine.Serving;
using InferMesh.Silo.Devices;

namespace InferMesh.Silo.Engines;

/// <summary>Loads a Hugging Face model folder with InferMesh's engine on the given device.</summary>
public sealed class HuggingFaceEngineLoader : IEngineLoader
{
    public IInferenceEngine Load(string modelDirectory, ComputeDevice device, SiloModelOptions options) =>
        InferenceEngine.Load(modelDirectory, new EngineOptions
        {
            Device = device.Name,
            Threads = device.IsCpu ? options.CpuThreads : null,
            KvCacheBlocks = options.KvCacheBlocks,
            MaxContextLength = options.MaxContextLength,
            ChunkStore = ChunkStoreOf(options, device),
        });

    private static ChunkStoreOptions ChunkStoreOf(SiloModelOptions options, ComputeDevice device)
    {
        var defaults = new ChunkStoreOptions();
        return defaults with
        {
            DeviceBytes = options.ChunkCacheDeviceBytes ?? defaults.DeviceBytes,
            HostBytes = options.ChunkCacheHostBytes ?? defaults.HostBytes,
            DiskDirectory = options.ChunkCacheDiskDirectory is { } dir ? Path.Combine(dir, device.Name.Replace(':', '-')) : null,
        };
    }
}
