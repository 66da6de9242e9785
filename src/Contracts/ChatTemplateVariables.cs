namespace InferMesh.Contracts;

/// <summary>
/// The chat template variables the server sets itself (as Hugging Face's apply_chat_template does) and the template
/// functions it provides: a request's <c>chat_template_kwargs</c> may not name them, since overriding one would render
/// a prompt the session's history, tools or documents do not describe.
/// </summary>
public static class ChatTemplateVariables
{
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "messages", "tools", "documents", "add_generation_prompt", "continue_final_message",
        "bos_token", "eos_token", "unk_token", "pad_token",
        "raise_exception", "strftime_now", "namespace", "range", "dict",
    };
}
