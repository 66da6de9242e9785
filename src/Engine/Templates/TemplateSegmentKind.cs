namespace InferMesh.Engine.Templates;

internal enum TemplateSegmentKind
{
    Text,
    Output,
    Statement,
}
