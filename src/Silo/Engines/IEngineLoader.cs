using InferMesh.Engine.Serving;
using InferMesh.Silo.Devices;

namespace InferMesh.Silo.Engines;

/// <summary>Loads a model folder into an engine on one device (the seam tests and other backends replace).</summary>
public interface IEngineLoader
{
    IInferenceEngine Load(string modelDirectory, ComputeDevice device, SiloModelOptions options);
}
