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
        });
}
