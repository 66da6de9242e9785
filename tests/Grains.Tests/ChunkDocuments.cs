namespace InferMesh.Grains.Tests;

/// <summary>
/// Document texts for the chunk cache tests: 33-64 tokens each with their separator (checked by
/// <see cref="ChunkDirectoryTests.Documents_fit_the_tiny_chunk_store"/>), so one fits a tier of
/// <see cref="ChunkCacheCluster"/>'s chunk stores and two do not.
/// </summary>
internal static class ChunkDocuments
{
    public const string River = "The river Tamsel rises in the northern hills and runs past three mill towns before it reaches the sea at Porthaven.";
    public const string Bridge = "The old stone bridge at Carrow has seven arches; the middle one was rebuilt after the great flood of the spring.";
    public const string Market = "Every Thursday the market square of Ellery fills with stalls of cheese, wool, apples and hand-made copper pots.";
    public const string Lighthouse = "The lighthouse on Gannet Point was lit for the first time in the autumn and its keeper kept a careful log of ships.";
    public const string Orchard = "Behind the mill at Dunmore lies an orchard of forty pear trees that the miller's family planted long ago.";
    public const string Ferry = "A small ferry crosses the estuary at Wickham twice an hour, carrying walkers, bicycles and the morning post.";
    public const string Quarry = "The quarry above Selsby closed in the winter, and its flooded pit is now a quiet lake where herons fish at dawn.";
    public const string Chapel = "A chapel of grey stone stands alone on the moor road, its door unlocked so that travellers may shelter from storms.";

    public static IReadOnlyList<string> All { get; } = [River, Bridge, Market, Lighthouse, Orchard, Ferry, Quarry, Chapel];
}
