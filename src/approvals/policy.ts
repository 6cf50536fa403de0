import picomatch from "picomatch";
import { DEFAULT_TOOL_RULES, type ApprovalConfig, type ToolAction, type ToolRule } from "../config/sections/approvals.js";

/** Shell control characters: a command holding one of them is never allowed by an `allow` pattern. */
const SHELL_CONTROL = /[;&|`$<>\n\r\\]/;

const matchers = new Map<string, (s: string) => boolean>();
/** A cached picomatch matcher; `bash: true` lets `*` match `/` (command lines and paths are not globs of files). */
function matcher(pattern: string): (s: string) => boolean {
  let m = matchers.get(pattern);
  if (!m) {
    m = picomatch(pattern, { bash: true, dot: true, nocase: false });
    if (matchers.size > 2_000) matchers.clear();
    matchers.set(pattern, m);
  }
  return m;
}

/** True when glob `pattern` matches `text` (picomatch with bash rules). */
export function globMatch(pattern: string, text: string): boolean {
  return pattern === text || matcher(pattern)(text);
}

/**
 * The subject of a tool call that patterns and "always" grants match: its `command` argument (exec), else `path`
 * (file tools), else `url` (web_fetch), else the arguments as JSON. `keyed` says whether it came from one of those
 * arguments (an "always" grant then covers that exact subject; otherwise every call of the tool).
 */
export function subjectOf(args: unknown): { subject: string; keyed: boolean } {
  if (args && typeof args === "object") {
    const a = args as Record<string, unknown>;
    for (const k of ["command", "path", "url"]) if (typeof a[k] === "string") return { subject: a[k], keyed: true };
  }
  return { subject: JSON.stringify(args ?? {}), keyed: false };
}

/** The rule for `tool`: an exact key of `rules`, else the first glob key that matches, else the default rules. */
export function ruleFor(tool: string, rules: ApprovalConfig["rules"]): ToolRule {
  if (rules[tool] !== undefined) return rules[tool];
  for (const [pattern, rule] of Object.entries(rules)) if (pattern !== tool && globMatch(pattern, tool)) return rule;
  return DEFAULT_TOOL_RULES[tool] ?? "allow";
}

/**
 * What the approval policy says about one call of `tool` with `args` (issue 13): `deny` patterns first, then
 * `allow` (never for a subject with shell control characters), then `ask`, then the rule's default. The owner's
 * "always" grants are applied by the caller on top of an `ask`.
 */
export function decideAction(tool: string, args: unknown, cfg: Pick<ApprovalConfig, "rules">): { action: ToolAction; subject: string; keyed: boolean } {
  const rule = ruleFor(tool, cfg.rules);
  const { subject, keyed } = subjectOf(args);
  if (typeof rule === "string") return { action: rule, subject, keyed };
  const hit = (patterns: string[]) => patterns.some((p) => globMatch(p, subject));
  if (hit(rule.deny)) return { action: "deny", subject, keyed };
  if (!SHELL_CONTROL.test(subject) && hit(rule.allow)) return { action: "allow", subject, keyed };
  if (hit(rule.ask)) return { action: "ask", subject, keyed };
  return { action: rule.default, subject, keyed };
}
