using System.CommandLine;
using InferMesh.Cli;
using InferMesh.Cli.Commands;

var root = new RootCommand("InferMesh: distributed LLM inference in C#")
{
    GenerateCommand.Create(),
    ChatCommand.Create(),
    CheckCommand.Create(),
    LogitsCommand.Create(),
    TokenizeCommand.Create(),
    RenderTemplateCommand.Create(),
    MakeModelCommand.Create(),
    BenchEngineCommand.Create(),
    BenchRagCommand.Create(),
    UpCommand.Create(),
    GatewayChatCommand.Create(),
    BenchCommand.Create(),
    PublishCommand.Create(),
    TokenRingModelCommand.Create(),
    BenchRingClusterCommand.Create(),
    RingSiloCommand.Create(),
    BenchTokenRingCommand.Create(),
};

return await CommandLineErrors.InvokeAsync(root, args);
