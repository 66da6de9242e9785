namespace InferMesh.Engine.Tests.Model;

/// <summary>Granite's scalars (modeling_granite.py): embedding × e, scores × a (instead of 1/√d), sublayer outputs × r, logits ÷ l.</summary>
internal sealed record GraniteScalars(double Embedding, double Attention, double Residual, double LogitsScaling);
