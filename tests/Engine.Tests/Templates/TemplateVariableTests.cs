using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>Variables the template cannot be given fail as TemplateException (a 400 upstream), not as a raw exception.</summary>
public sealed class TemplateVariableTests
{
    [Fact]
    public void A_json_string_with_a_lone_surrogate_escape_is_a_template_exception_naming_the_variable()
    {
        using var arguments = JsonDocument.Parse("{\"a\": \"\\ud800\"}");
        var template = ChatTemplate.Parse("{{ messages[0].arguments.a }}");
        var messages = new List<object?> { new Dictionary<string, object?> { ["arguments"] = arguments.RootElement } };

        var error = Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?> { ["messages"] = messages }));

        Assert.Contains("variable 'messages'", error.Message);
        Assert.Equal(0, error.Line);
    }
}
