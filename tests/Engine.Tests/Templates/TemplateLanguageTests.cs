using InferMesh.Engine.Templates;

namespace InferMesh.Engine.Tests.Templates;

/// <summary>The Jinja subset, one behaviour per test; expected strings are what Jinja2 renders.</summary>
public sealed class TemplateLanguageTests
{
    private static string Render(string source, Dictionary<string, object?>? vars = null) =>
        ChatTemplate.Parse(source).Render(vars ?? new Dictionary<string, object?>());

    [Fact]
    public void Loop_variables_report_position() =>
        Assert.Equal("1f2-3l", Render("{% for x in [1,2,3] %}{{ loop.index }}{% if loop.first %}f{% elif loop.last %}l{% else %}-{% endif %}{% endfor %}"));

    [Fact]
    public void Namespace_survives_loop_scope() =>
        Assert.Equal("3", Render("{% set ns = namespace(n=0) %}{% for x in [1,2,3] %}{% set ns.n = ns.n + 1 %}{% endfor %}{{ ns.n }}"));

    [Fact]
    public void Plain_set_inside_a_loop_does_not_leak() =>
        Assert.Equal("0", Render("{% set n = 0 %}{% for x in [1,2] %}{% set n = x %}{% endfor %}{{ n }}"));

    [Fact]
    public void Whitespace_control_strips_both_sides() =>
        Assert.Equal("ab", Render("a  {%- if true -%}  \n b{%- endif %}"));

    // jinja2 also drops the template's single trailing newline (keep_trailing_newline=False in transformers).
    [Fact]
    public void Trim_blocks_removes_the_newline_after_a_block_tag() =>
        Assert.Equal("x\ny", Render("{% if true %}\nx\n{% endif %}\ny\n"));

    [Fact]
    public void Lstrip_blocks_removes_indentation_before_a_block_tag() =>
        Assert.Equal("x\n", Render("    {% if true %}\nx\n    {% endif %}\n"));

    [Fact]
    public void Tojson_matches_python_json_dumps() =>
        Assert.Equal("{\"a\": [1, 2.5, true, null], \"é\": \"x\\\"y\\n\"}", Render("{{ d | tojson }}", new() { ["d"] = new Dictionary<string, object?> { ["a"] = new List<object?> { 1, 2.5, true, null }, ["é"] = "x\"y\n" } }));

    [Fact]
    public void Tojson_with_indent_puts_items_on_lines() =>
        Assert.Equal("{\n  \"a\": 1\n}", Render("{{ d | tojson(indent=2) }}", new() { ["d"] = new Dictionary<string, object?> { ["a"] = 1 } }));

    [Fact]
    public void Filters_and_string_methods_compose() =>
        Assert.Equal("A,B|x|True", Render("{{ ['a','b'] | map('upper') | join(',') }}|{{ '  x '.strip() }}|{{ 'abc'.startswith('ab') }}"));

    [Fact]
    public void Selectattr_and_length_filter_a_list_of_dicts() =>
        Assert.Equal("1", Render("{{ messages | selectattr('role', 'equalto', 'system') | list | length }}", new() { ["messages"] = new List<object?> { new Dictionary<string, object?> { ["role"] = "system" }, new Dictionary<string, object?> { ["role"] = "user" } } }));

    [Fact]
    public void Undefined_is_empty_and_falsy() =>
        Assert.Equal("|no|yes", Render("{{ missing }}|{% if missing %}yes{% else %}no{% endif %}|{% if missing is not defined %}yes{% endif %}"));

    [Fact]
    public void Slices_and_negative_indices_follow_python() =>
        Assert.Equal("[2, 3]|3|cba", Render("{{ xs[1:] }}|{{ xs[-1] }}|{{ 'abc'[::-1] }}", new() { ["xs"] = new List<object?> { 1, 2, 3 } }));

    [Fact]
    public void Macros_take_defaults_and_arguments() =>
        Assert.Equal("<a>|<b!>", Render("{% macro tag(x, end='') %}<{{ x }}{{ end }}>{% endmacro %}{{ tag('a') }}|{{ tag('b', end='!') }}"));

    [Fact]
    public void Items_unpack_into_two_loop_names() =>
        Assert.Equal("a=1;b=2;", Render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", new() { ["d"] = new Dictionary<string, object?> { ["a"] = 1, ["b"] = 2 } }));

    [Fact]
    public void Raise_exception_surfaces_the_template_message()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{{ raise_exception('roles must alternate') }}"));
        Assert.Contains("roles must alternate", e.Message);
    }

    [Fact]
    public void Unsupported_statement_names_its_line()
    {
        var e = Assert.Throws<TemplateException>(() => ChatTemplate.Parse("line one\n{% include 'x' %}"));
        Assert.Equal(2, e.Line);
        Assert.Contains("include", e.Message);
    }

    [Fact]
    public void Unknown_filter_names_its_line()
    {
        var e = Assert.Throws<TemplateException>(() => Render("a\nb\n{{ x | frobnicate }}"));
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Unclosed_block_is_reported() =>
        Assert.Throws<TemplateException>(() => ChatTemplate.Parse("{% if x %}never closed"));

    [Fact]
    public void Python_values_print_like_python() =>
        Assert.Equal("True|None|1.0|['a']", Render("{{ true }}|{{ none }}|{{ 1.0 }}|{{ ['a'] }}"));

    [Fact]
    public void Json_element_inputs_are_accepted()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("user:hi", Render("{% for m in messages %}{{ m.role }}:{{ m['content'] }}{% endfor %}", new() { ["messages"] = doc.RootElement.GetProperty("messages").Clone() }));
    }
}
