/// The one tool offered when Luna asks the model to draft a skill.
///
/// The model describes and parameterises what already ran; Luna checks that
/// the templates, filled from the finding, give back exactly the executed
/// commands before the draft replaces Luna's own deterministic one. There is
/// no field for a check, a risk, an identity or a host: those come from the
/// evidence, never from the model.
public enum DistillTools {
    public static let draftSkill = ToolSpec(
        name: "draft_skill",
        description: "Draft a reviewed-later skill from one verified fix: prose for the operator, and argv templates whose {param} placeholders, filled from the finding's parameters, give back exactly the commands that ran.",
        fields: [
            .init("name", .string(maxLength: 64), "A short slug: lowercase letters, digits and '-', starting with a letter or digit."),
            .init("description", .string(maxLength: 300), "One sentence: what the skill fixes."),
            .init("when_to_use", .string(maxLength: 2000), "Markdown: the kind of finding this skill handles."),
            .init("procedure", .string(maxLength: 4000), "Markdown: what the steps do and why they are safe."),
            .init("pitfalls", .string(maxLength: 2000), "Markdown: what to check before approving or running it."),
            .init("verification", .string(maxLength: 2000), "Markdown: how the verification shows the fix worked."),
            .init("argv", .strings(maxItems: 32, maxLength: 512), "The action's argv template: argv[0] a literal absolute path, {param} placeholders for finding parameters."),
            .init("verify_argv", .strings(maxItems: 32, maxLength: 512), "The verification argv template (read-only)."),
            .init("expect", .string(maxLength: 512), "What the verification must print, as a template (omit when exit 0 is enough).", required: false),
            .init("match", .strings(maxItems: 16, maxLength: 256), "Finding parameters that must have exactly this value, each as \"key=value\"; every parameter not used as a placeholder must be listed."),
        ])

    /// The tools offered, in order.
    public static let all = [draftSkill]
}
