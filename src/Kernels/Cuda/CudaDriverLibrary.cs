using System.Runtime.InteropServices;

namespace InferMesh.Kernels.Cuda;

/// <summary>
/// The few CUDA driver API calls ILGPU does not expose: stream capture into graphs, free-memory queries and
/// events. They act on ILGPU's own context and stream. https://docs.nvidia.com/cuda/cuda-driver-api/
/// </summary>
internal sealed unsafe class CudaDriverLibrary
{
    /// <summary>CU_STREAM_CAPTURE_MODE_RELAXED: other threads may keep using CUDA while we capture.</summary>
    public const int CaptureModeRelaxed = 2;

    private readonly delegate* unmanaged<IntPtr, int, int> streamBeginCapture;
    private readonly delegate* unmanaged<IntPtr, IntPtr*, int> streamEndCapture;
    private readonly delegate* unmanaged<IntPtr, int*, int> streamIsCapturing;
    private readonly delegate* unmanaged<IntPtr*, IntPtr, ulong, int> graphInstantiate;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> graphLaunch;
    private readonly delegate* unmanaged<IntPtr, int> graphExecDestroy;
    private readonly delegate* unmanaged<IntPtr, int> graphDestroy;
    private readonly delegate* unmanaged<nuint*, nuint*, int> memGetInfo;
    private readonly delegate* unmanaged<IntPtr*, uint, int> eventCreate;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> eventRecord;
    private readonly delegate* unmanaged<IntPtr, int> eventSynchronize;
    private readonly delegate* unmanaged<float*, IntPtr, IntPtr, int> eventElapsedTime;
    private readonly delegate* unmanaged<IntPtr, int> eventDestroy;
    private readonly delegate* unmanaged<int, byte**, int> getErrorName;
    private readonly delegate* unmanaged<IntPtr, IntPtr, uint, int> streamWaitEvent;
    private readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, nuint, IntPtr, int> memcpyPeerAsync;
    private readonly delegate* unmanaged<int*, int, int> deviceGet;
    private readonly delegate* unmanaged<int*, int, int, int> deviceCanAccessPeer;
    private readonly delegate* unmanaged<IntPtr, uint, int> ctxEnablePeerAccess;

    private CudaDriverLibrary(IntPtr library)
    {
        streamBeginCapture = (delegate* unmanaged<IntPtr, int, int>)Export(library, "cuStreamBeginCapture_v2");
        streamEndCapture = (delegate* unmanaged<IntPtr, IntPtr*, int>)Export(library, "cuStreamEndCapture");
        streamIsCapturing = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "cuStreamIsCapturing");
        graphInstantiate = (delegate* unmanaged<IntPtr*, IntPtr, ulong, int>)Export(library, "cuGraphInstantiateWithFlags");
        graphLaunch = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(library, "cuGraphLaunch");
        graphExecDestroy = (delegate* unmanaged<IntPtr, int>)Export(library, "cuGraphExecDestroy");
        graphDestroy = (delegate* unmanaged<IntPtr, int>)Export(library, "cuGraphDestroy");
        memGetInfo = (delegate* unmanaged<nuint*, nuint*, int>)Export(library, "cuMemGetInfo_v2");
        eventCreate = (delegate* unmanaged<IntPtr*, uint, int>)Export(library, "cuEventCreate");
        eventRecord = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(library, "cuEventRecord");
        eventSynchronize = (delegate* unmanaged<IntPtr, int>)Export(library, "cuEventSynchronize");
        eventElapsedTime = (delegate* unmanaged<float*, IntPtr, IntPtr, int>)Export(library, "cuEventElapsedTime");
        eventDestroy = (delegate* unmanaged<IntPtr, int>)Export(library, "cuEventDestroy_v2");
        getErrorName = (delegate* unmanaged<int, byte**, int>)Export(library, "cuGetErrorName");
        streamWaitEvent = (delegate* unmanaged<IntPtr, IntPtr, uint, int>)Export(library, "cuStreamWaitEvent");
        memcpyPeerAsync = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, nuint, IntPtr, int>)Export(library, "cuMemcpyPeerAsync");
        deviceGet = (delegate* unmanaged<int*, int, int>)Export(library, "cuDeviceGet");
        deviceCanAccessPeer = (delegate* unmanaged<int*, int, int, int>)Export(library, "cuDeviceCanAccessPeer");
        ctxEnablePeerAccess = (delegate* unmanaged<IntPtr, uint, int>)Export(library, "cuCtxEnablePeerAccess");
    }

    public static CudaDriverLibrary Load()
    {
        foreach (string name in new[] { "libcuda.so.1", "libcuda.so" })
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
                return new CudaDriverLibrary(handle);
        }

        throw new DllNotFoundException("The NVIDIA driver library libcuda.so.1 was not found by the system loader; install the NVIDIA driver.");
    }

    public void BeginCapture(IntPtr stream) => Check(streamBeginCapture(stream, CaptureModeRelaxed), "cuStreamBeginCapture");

    public IntPtr EndCapture(IntPtr stream)
    {
        IntPtr graph;
        Check(streamEndCapture(stream, &graph), "cuStreamEndCapture");
        return graph;
    }

    public bool IsCapturing(IntPtr stream)
    {
        int status;
        Check(streamIsCapturing(stream, &status), "cuStreamIsCapturing");
        return status != 0;
    }

    public IntPtr Instantiate(IntPtr graph)
    {
        IntPtr exec;
        Check(graphInstantiate(&exec, graph, 0), "cuGraphInstantiateWithFlags");
        return exec;
    }

    public void Launch(IntPtr exec, IntPtr stream) => Check(graphLaunch(exec, stream), "cuGraphLaunch");

    public void DestroyExec(IntPtr exec) => graphExecDestroy(exec);

    public void DestroyGraph(IntPtr graph) => graphDestroy(graph);

    public (long Free, long Total) MemoryInfo()
    {
        nuint free, total;
        Check(memGetInfo(&free, &total), "cuMemGetInfo");
        return ((long)free, (long)total);
    }

    /// <summary>CU_EVENT_DISABLE_TIMING: events that only order work are cheaper without timestamps.</summary>
    public const uint EventDisableTiming = 2;

    public IntPtr CreateEvent(uint flags = 0)
    {
        IntPtr handle;
        Check(eventCreate(&handle, flags), "cuEventCreate");
        return handle;
    }

    /// <summary>Work enqueued on <paramref name="stream"/> after this call waits for the event's last record (events of other contexts and devices included).</summary>
    public void Wait(IntPtr stream, IntPtr cudaEvent) => Check(streamWaitEvent(stream, cudaEvent, 0), "cuStreamWaitEvent");

    /// <summary>
    /// Copies bytes between the memories of two contexts, on the same GPU or on two (direct over NVLink/PCIe when peer
    /// access is enabled, staged by the driver otherwise). https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__MEM.html
    /// </summary>
    public void CopyPeer(IntPtr destination, IntPtr destinationContext, IntPtr source, IntPtr sourceContext, long bytes, IntPtr stream) =>
        Check(memcpyPeerAsync(destination, destinationContext, source, sourceContext, (nuint)bytes, stream), "cuMemcpyPeerAsync");

    public void Record(IntPtr cudaEvent, IntPtr stream) => Check(eventRecord(cudaEvent, stream), "cuEventRecord");

    public float ElapsedMilliseconds(IntPtr start, IntPtr end)
    {
        Check(eventSynchronize(end), "cuEventSynchronize");
        float ms;
        Check(eventElapsedTime(&ms, start, end), "cuEventElapsedTime");
        return ms;
    }

    public void DestroyEvent(IntPtr cudaEvent) => eventDestroy(cudaEvent);

    /// <summary>Whether GPU <paramref name="ordinal"/> can read and write GPU <paramref name="peerOrdinal"/>'s memory directly.</summary>
    public bool CanAccessPeer(int ordinal, int peerOrdinal)
    {
        int device, peer, can;
        Check(deviceGet(&device, ordinal), "cuDeviceGet");
        Check(deviceGet(&peer, peerOrdinal), "cuDeviceGet");
        Check(deviceCanAccessPeer(&can, device, peer), "cuDeviceCanAccessPeer");
        return can != 0;
    }

    /// <summary>Lets the current context access <paramref name="peerContext"/>'s memory (already enabled counts as done).</summary>
    public void EnablePeerAccess(IntPtr peerContext)
    {
        const int peerAccessAlreadyEnabled = 704;
        int result = ctxEnablePeerAccess(peerContext, 0);
        if (result != peerAccessAlreadyEnabled)
            Check(result, "cuCtxEnablePeerAccess");
    }

    private void Check(int result, string call)
    {
        if (result == 0)
            return;
        byte* name = null;
        getErrorName(result, &name);
        string text = name == null ? "unknown" : Marshal.PtrToStringAnsi((IntPtr)name) ?? "unknown";
        throw new InvalidOperationException($"{call} failed with CUDA error {result} ({text}).");
    }

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address)
            ? address
            : throw new EntryPointNotFoundException($"libcuda has no export {name}; the NVIDIA driver is older than CUDA 12 supports.");
}
