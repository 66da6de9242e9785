using System.Runtime.CompilerServices;

// The reproducibility tests pin Xoshiro256StarStar to the reference C implementation's outputs.
[assembly: InternalsVisibleTo("InferMesh.Engine.Tests")]
