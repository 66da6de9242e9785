namespace InferMesh.Engine.Templates;

// Block statements that define or call code: macro, call, filter, generation.
internal sealed partial class TemplateParser
{
    // Names read inside the macro bodies being parsed (innermost last): jinja2 gives a macro varargs / kwargs
    // parameters only when its body mentions them (jinja2/compiler.py, macro_body), so extra arguments are errors otherwise.
    private readonly List<HashSet<string>> _macroNames = [];

    private NameExpr Name(TemplateToken token)
    {
        if (_macroNames.Count > 0)
        {
            _macroNames[^1].Add(token.Value);
        }

        return new NameExpr(token.Value, token.Line);
    }

    private MacroNode ParseMacro(int line)
    {
        var name = ExpectName("a macro name");
        ExpectOperator("(");
        var parameters = ParseParameters();
        ExpectBodyStart();
        var (body, names) = ParseMacroBody("endmacro", line, "macro");
        ExpectBlockEnd();
        return new MacroNode(name, parameters, body, line, names.Contains("varargs"), names.Contains("kwargs"));
    }

    /// <summary><c>{% call(params) macro(args) %}</c>: the body becomes a macro named caller, passed to the call.</summary>
    private CallBlockNode ParseCallBlock(int line)
    {
        MacroParameter[] parameters = [];
        if (Current.IsOperator("("))
        {
            _pos++;
            parameters = ParseParameters();
        }

        if (ParseExpression(withCondition: true) is not CallExpr call)
        {
            throw Error("'{% call %}' needs a macro call, e.g. '{% call render(item) %}'", line);
        }

        ExpectBodyStart();
        var (body, names) = ParseMacroBody("endcall", line, "call");
        ExpectBlockEnd();
        return new CallBlockNode(call, new MacroNode("caller", parameters, body, line, names.Contains("varargs"), names.Contains("kwargs")), line);
    }

    private FilterBlockNode ParseFilterBlock(int line)
    {
        var filters = ParseFilterChain(requireLeadingPipe: false);
        ExpectBodyStart();
        var (body, _) = ParseBody(["endfilter"], line, "filter");
        ExpectBlockEnd();
        return new FilterBlockNode(filters, body, line);
    }

    /// <summary><c>{% with a = 1, b = x %}body{% endwith %}</c>: a scope holding those names, valued in the enclosing one.</summary>
    private WithNode ParseWith(int line)
    {
        var names = new List<string>();
        var values = new List<Expr>();
        while (Current.Kind != TokenKind.BlockEnd && !Current.IsOperator(":"))
        {
            if (names.Count > 0)
            {
                ExpectOperator(",");
            }

            names.Add(ExpectName("a variable name"));
            ExpectOperator("=");
            values.Add(ParseExpression(withCondition: true));
        }

        ExpectBodyStart();
        var (body, _) = ParseBody(["endwith"], line, "with");
        ExpectBlockEnd();
        return new WithNode([.. names], [.. values], body, line);
    }

    private GenerationNode ParseGeneration(int line)
    {
        ExpectBodyStart();
        var loopNesting = _loopNesting;
        _loopNesting = 0; // transformers compiles the block to a call block, whose body is a function
        var (body, _) = ParseBody(["endgeneration"], line, "generation");
        _loopNesting = loopNesting;
        ExpectBlockEnd();
        return new GenerationNode(body, line);
    }

    /// <summary>Parameters after '(' through ')': names, each optionally with a default.</summary>
    private MacroParameter[] ParseParameters()
    {
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0)
            {
                ExpectOperator(",");
                if (Current.IsOperator(")"))
                {
                    break;
                }
            }

            var line = Current.Line;
            var parameter = ExpectName("a parameter name");
            Expr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                _pos++;
                defaultValue = ParseExpression(withCondition: true);
            }
            else if (parameters.Count > 0 && parameters[^1].Default is not null)
            {
                throw Error($"parameter '{parameter}' without a default follows one with a default", line);
            }

            parameters.Add(new MacroParameter(parameter, defaultValue));
        }

        _pos++;
        return [.. parameters];
    }

    private (TemplateNode[] Body, HashSet<string> Names) ParseMacroBody(string endTag, int line, string opener)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var loopNesting = _loopNesting;
        _macroNames.Add(names);
        _loopNesting = 0;
        try
        {
            return (ParseBody([endTag], line, opener).Body, names);
        }
        finally
        {
            _macroNames.RemoveAt(_macroNames.Count - 1);
            _loopNesting = loopNesting;
        }
    }

    /// <summary><c>name(args) | name2 | ...</c> as in <c>{% filter %}</c> and <c>{% set x | filter %}</c>.</summary>
    private FilterCall[] ParseFilterChain(bool requireLeadingPipe)
    {
        var filters = new List<FilterCall>();
        while (filters.Count == 0 ? !requireLeadingPipe || Current.IsOperator("|") : Current.IsOperator("|"))
        {
            if (Current.IsOperator("|"))
            {
                _pos++;
            }

            var nameToken = Current;
            var name = ExpectName("a filter name");
            if (!TemplateFilters.IsKnown(name))
            {
                throw Error($"unknown filter '{name}'", nameToken);
            }

            filters.Add(new FilterCall(name, Current.IsOperator("(") ? ParseArgumentsAfterParen() : [], nameToken.Line));
        }

        return [.. filters];
    }
}
