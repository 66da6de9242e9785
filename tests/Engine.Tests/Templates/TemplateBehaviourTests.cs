using System.Text.Json;
using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>Behaviours beyond the jinja2 reference cases: error lines, caller value shapes, clock, extensions.</summary>
public sealed class TemplateBehaviourTests
{
    private static string Render(string source, Dictionary<string, object?>? variables = null) =>
        ChatTemplate.Parse(source).Render(variables ?? []);

    [Fact]
    public void Unknown_filter_names_its_line()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("a\nb\n{{ x | frobnicate }}"));

        Assert.Equal(3, error.Line);
        Assert.Contains("unknown filter 'frobnicate'", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("chat template line 3:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_test_names_its_line()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("\n{% if x is frobnicated %}{% endif %}"));

        Assert.Equal(2, error.Line);
        Assert.Contains("unknown test 'frobnicated'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unclosed_block_names_the_line_that_opened_it_and_the_missing_end_tag()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("x\n{% for m in messages %}\n{{ m }}\n"));

        Assert.Equal(2, error.Line);
        Assert.Contains("endfor", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_tag_names_its_line()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("a\n\n{% include 'other.jinja' %}"));

        Assert.Equal(3, error.Line);
        Assert.Contains("unsupported tag", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_expression_syntax_names_its_line()
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("ok\n{{ f(*args) }}"));

        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Unclosed_comment_and_raw_name_their_lines()
    {
        Assert.Equal(2, Assert.Throws<TemplateException>(() => ChatTemplate.Parse("a\n{# never closed")).Line);
        Assert.Equal(3, Assert.Throws<TemplateException>(() => ChatTemplate.Parse("a\n\n{% raw %}x")).Line);
    }

    [Fact]
    public void Runtime_error_names_the_line_of_the_failing_statement()
    {
        var template = ChatTemplate.Parse("{% for m in messages %}\n{{ m.content }}\n{{ m.content + 1 }}\n{% endfor %}");

        var error = Assert.Throws<TemplateException>(() => template.Render(new Dictionary<string, object?>
        {
            ["messages"] = new List<object?> { new Dictionary<string, object?> { ["content"] = "hi" } },
        }));

        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Raise_exception_carries_the_template_message()
    {
        var error = Assert.Throws<TemplateException>(() => Render("\n{{ raise_exception('System role not supported') }}"));

        Assert.Equal("System role not supported", error.Reason);
        Assert.Equal(2, error.Line);
    }

    [Fact]
    public void Json_element_context_renders_like_clr_values()
    {
        const string source = "{% for m in messages %}{{ m.role }}:{{ m.content }}:{{ m.n + 1 }}:{{ m.tags | join(',') }}:{{ m | tojson }};{% endfor %}";
        using var json = JsonDocument.Parse("""[{"role":"user","content":"é\"","n":1,"tags":["a","b"]},{"role":"x","content":null,"n":2.5,"tags":[]}]""");
        var clr = new List<object?>
        {
            new Dictionary<string, object?> { ["role"] = "user", ["content"] = "é\"", ["n"] = 1, ["tags"] = new List<object?> { "a", "b" } },
            new Dictionary<string, object?> { ["role"] = "x", ["content"] = null, ["n"] = 2.5, ["tags"] = new List<object?>() },
        };

        var fromJson = Render(source, new() { ["messages"] = json.RootElement });
        var fromClr = Render(source, new() { ["messages"] = clr });

        Assert.Equal(fromClr, fromJson);
        Assert.Equal(
            "user:é\":2:a,b:{\"role\": \"user\", \"content\": \"é\\\"\", \"n\": 1, \"tags\": [\"a\", \"b\"]};"
            + "x:None:3.5::{\"role\": \"x\", \"content\": null, \"n\": 2.5, \"tags\": []};",
            fromJson);
    }

    [Fact]
    public void Int32_arrays_and_plain_dictionaries_are_accepted()
    {
        var rendered = Render("{{ ids | sum }} {{ d.k }} {{ ids[1] is integer }}", new()
        {
            ["ids"] = new[] { 1, 2, 3 },
            ["d"] = new Dictionary<string, int> { ["k"] = 7 },
        });

        Assert.Equal("6 7 True", rendered);
    }

    [Fact]
    public void Strftime_now_formats_the_given_clock_like_python()
    {
        var clock = new FixedClock(new DateTimeOffset(2024, 7, 6, 15, 4, 5, TimeSpan.Zero));

        var rendered = ChatTemplate.Parse("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S %A %B %I%p %-d %j') }}|{{ strftime_now is defined }}")
            .Render(new Dictionary<string, object?>(), clock);

        Assert.Equal("06 Jul 2024|2024-07-06 15:04:05 Saturday July 03PM 6 188|True", rendered);
    }

    [Fact]
    public void List_append_mutates_lists_the_template_built()
    {
        var rendered = Render("{% set xs = [] %}{% for m in ['a', 'b'] %}{% set _ = xs.append(m | upper) %}{% endfor %}{{ xs }} {{ xs | length }}");

        Assert.Equal("['A', 'B'] 2", rendered);
    }

    [Fact]
    public void Generation_block_renders_its_body()
    {
        Assert.Equal("<a>hi</a>", Render("<a>{% generation %}{{ 'hi' }}{% endgeneration %}</a>"));
    }

    [Fact]
    public void Break_outside_a_loop_is_an_error()
    {
        Assert.Throws<TemplateException>(() => Render("{% break %}"));
    }

    [Fact]
    public void Macro_defaults_can_use_earlier_parameters_and_outer_variables()
    {
        var rendered = Render("{% set sep = ': ' %}{% macro kv(k, v=k ~ '!') %}{{ k }}{{ sep }}{{ v }}{% endmacro %}{{ kv('a') }}|{{ kv('b', 'c') }}");

        Assert.Equal("a: a!|b: c", rendered);
    }

    [Fact]
    public void Macro_with_too_many_arguments_is_an_error()
    {
        Assert.Throws<TemplateException>(() => Render("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}"));
    }

    [Fact]
    public void Rendering_is_repeatable_and_does_not_leak_state_between_renders()
    {
        var template = ChatTemplate.Parse("{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}{% set messages = [] %}");
        var variables = new Dictionary<string, object?> { ["messages"] = new List<object?> { 1, 2, 3 } };

        Assert.Equal("3", template.Render(variables));
        Assert.Equal("3", template.Render(variables));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
