namespace InferMesh.Engine.Scheduling;

public enum SequenceStatus
{
    Waiting,
    Running,
    Finished,
}
