namespace InferMesh.Engine.Serving;

/// <summary>
/// An engine that can lend its device to a sequence-parallel ring member and take a prompt's KV computed by a ring
/// as the prefix of a later request (see <see cref="GenerationRequest.ImportedPrefixKey"/>).
/// </summary>
public interface IRingDevice
{
    /// <summary>
    /// Waits for the engine's step loop to finish its current step, then parks it and lends the device, its weights
    /// and its KV cache until the lease is disposed. Nothing else runs on the engine meanwhile, so keep it short
    /// and always dispose it.
    /// </summary>
    Task<DeviceLease> LeaseDeviceAsync(CancellationToken cancellationToken = default);

    /// <summary>Frees an imported prefix no request claimed (the ring's request failed or went elsewhere).</summary>
    void ReleaseImport(string key);
}
