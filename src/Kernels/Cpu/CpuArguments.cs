namespace InferMesh.Kernels.Cpu;

/// <summary>Argument checks of the CPU backend; messages name the parameter, what it is and what was expected.</summary>
internal static class CpuArguments
{
    /// <summary>Means "any size" for <see cref="F32"/>, <see cref="I32"/>.</summary>
    public const int Any = -1;

    public static CpuTensor OnCpu(DeviceTensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        return tensor as CpuTensor ?? throw new ArgumentException(
            $"{name} ({tensor}) is a {tensor.GetType().Name}, not a tensor of the CPU backend; allocate it with the backend that computes on it.",
            name);
    }

    public static CpuTensor F32(DeviceTensor tensor, string name, int rows = Any, int cols = Any) => Typed(tensor, DType.F32, name, rows, cols);

    public static CpuTensor I32(DeviceTensor tensor, string name, int rows = Any, int cols = Any) => Typed(tensor, DType.I32, name, rows, cols);

    public static void SameShape(CpuTensor a, string aName, CpuTensor b, string bName)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols)
        {
            throw new ArgumentException($"{bName} is {b} but {aName} is {a}; they must have the same shape.", bName);
        }
    }

    /// <summary>Checks that a host span of <paramref name="name"/> has as many elements as <paramref name="tensor"/>.</summary>
    public static void Length(int actual, CpuTensor tensor, string name)
    {
        if (actual != tensor.ElementCount)
        {
            throw new ArgumentException($"{name} has {actual} elements but {tensor} holds {tensor.ElementCount}.", name);
        }
    }

    /// <summary>Checks that raw weight bytes hold exactly rows·cols elements of <paramref name="type"/>.</summary>
    public static void ByteLength(int actual, DType type, int elementSize, int rows, int cols, string name)
    {
        long expected = (long)rows * cols * elementSize;
        if (actual != expected)
        {
            throw new ArgumentException(
                $"{name} has {actual} bytes but {type}[{rows}x{cols}] needs {expected} bytes ({elementSize} per element).", name);
        }
    }

    public static void Index(int value, int limit, string what, int row, string name)
    {
        if ((uint)value >= (uint)limit)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{what} {value} at row {row} of {name} is outside [0, {limit}).");
        }
    }

    private static CpuTensor Typed(DeviceTensor tensor, DType type, string name, int rows, int cols)
    {
        CpuTensor cpu = OnCpu(tensor, name);
        if (cpu.DType != type)
        {
            throw new ArgumentException($"{name} is {cpu} but must hold {type}.", name);
        }

        if ((rows != Any && cpu.Rows != rows) || (cols != Any && cpu.Cols != cols))
        {
            throw new ArgumentException(
                $"{name} is {cpu} but must be {type}[{(rows == Any ? "any" : rows)}x{(cols == Any ? "any" : cols)}].", name);
        }

        return cpu;
    }
}
