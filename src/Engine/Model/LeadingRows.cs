using InferMesh.Kernels;

namespace InferMesh.Engine.Model;

/// <summary>
/// A buffer allocated at the engine's limits plus a cached view of its first rows: steady-state decode asks for the
/// same row count every step, so the view object is made once, not per step.
/// </summary>
internal sealed class LeadingRows(DeviceTensor buffer) : IDisposable
{
    private DeviceTensor? _view;

    public DeviceTensor Buffer => buffer;

    public DeviceTensor Take(int rows)
    {
        if (_view is null || _view.Rows != rows)
        {
            _view = rows == buffer.Rows ? buffer : buffer.View(0, rows);
        }

        return _view;
    }

    public void Dispose() => buffer.Dispose();
}
