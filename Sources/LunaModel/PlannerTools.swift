/// The four tools the planner offers the model.
///
/// None of them has a field for the identity, the runas user, approvers,
/// channels or mentions: those are Luna's, never the model's.
public enum PlannerTools {
    public static let proposeAction = ToolSpec(
        name: "propose_action",
        description: "Propose one exact command (an argv, no shell) that fixes the finding. It is checked by the gate and waits for the operator's approval; it runs as the luna identity.",
        fields: [
            .init("host", .string(maxLength: 64), "The inventory host name, exactly as in the finding."),
            .init("argv", .strings(maxItems: 32, maxLength: 512), "The command as an argv array; argv[0] is an absolute path."),
            .init("rationale", .string(maxLength: 2000), "Why this fixes the finding, for the operator and the commit message."),
            .init("verify_argv", .strings(maxItems: 32, maxLength: 512), "A read-only command that shows the fix worked (may be empty)."),
            .init("risk", .choice(["read-only", "mutating", "destructive"]), "How much the command changes."),
        ])

    public static let inspect = ToolSpec(
        name: "inspect",
        description: "Run one read-only command (argv, no shell) on a host to look at live state. Runs only when the gate allows it for luna and classifies it read-only.",
        fields: [
            .init("host", .string(maxLength: 64), "The inventory host name."),
            .init("argv", .strings(maxItems: 32, maxLength: 512), "The command as an argv array; argv[0] is an absolute path."),
        ])

    public static let escalate = ToolSpec(
        name: "escalate",
        description: "For what luna must not do itself (destructive, or not allowed): write a runbook for the operator's own account.",
        fields: [
            .init("title", .string(maxLength: 120), "A short title."),
            .init("why", .string(maxLength: 2000), "Why luna must not do it."),
            .init("steps_markdown", .string(maxLength: 8000), "The steps, as Markdown."),
        ])

    public static let note = ToolSpec(
        name: "note",
        description: "Suggest a memory note (reviewed by the operator before it is used).",
        fields: [
            .init("title", .string(maxLength: 120), "A short title."),
            .init("body", .string(maxLength: 4000), "The note."),
        ])

    /// All four, in the order offered.
    public static let all = [proposeAction, inspect, escalate, note]
}
