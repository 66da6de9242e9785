using System.CommandLine;
using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Cli.Commands;

/// <summary><c>infermesh render-template</c>: prints exactly what a chat template feeds the model for a context.</summary>
internal static class RenderTemplateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m") { Description = "model folder (chat_template.jinja or tokenizer_config.json)" };
        var templateFile = new Option<string?>("--template") { Description = "a Jinja template file" };
        var contextFile = new Option<string>("--context") { Description = "JSON file: {messages, tools?, add_generation_prompt?, bos_token?, eos_token?, ...}", Required = true };
        var command = new Command("render-template", "render a chat template for a JSON context") { model, templateFile, contextFile };
        command.SetAction(result =>
        {
            ChatTemplate template;
            if (result.GetValue(templateFile) is { } file)
            {
                template = ChatTemplate.Parse(File.ReadAllText(file));
            }
            else
            {
                var dir = DefaultModel.Resolve(result.GetValue(model));
                template = ChatTemplate.FromModelFolder(dir) ?? throw new InvalidOperationException($"{dir} has no chat template (chat_template.jinja or tokenizer_config.json's chat_template).");
            }

            var path = result.GetValue(contextFile)!;
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}: the context must be a JSON object such as {{\"messages\": [...], \"add_generation_prompt\": true}}.");
            }

            var variables = new Dictionary<string, object?>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                variables[p.Name] = p.Value.Clone();
            }

            Console.Write(template.Render(variables));
            return 0;
        });
        return command;
    }
}
