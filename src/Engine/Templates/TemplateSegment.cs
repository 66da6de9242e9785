namespace InferMesh.Engine.Templates;

/// <summary>A piece of template source: literal text, an output <c>{{ }}</c> or a statement <c>{% %}</c>.</summary>
internal sealed record TemplateSegment(TemplateSegmentKind Kind, string Content, int Line);
