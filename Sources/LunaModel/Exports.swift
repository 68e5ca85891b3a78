// The model client's callers redact what they send with the Redactor, whose
// shapes live in their own room (LunaSecrets) so the drift checks and the ops
// repo's commit path use the very same ones.
@_exported import LunaSecrets
