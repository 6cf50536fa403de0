import type { ChannelAddress } from "../../protocol/chat.js";
import type { Config } from "../config/schema.js";
import type { Runner } from "../agent/runner.js";
import type { Store } from "../store/store.js";
import { accessOf } from "../config/sections/channels.js";
import { sessionLabel, type ChatKey } from "./chat-sessions.js";

/** A chat command as typed: `/switch 2` or `!switch 2` → `{ name: "switch", args: "2" }` (name lower-cased). */
export interface ParsedCommand {
  name: string;
  args: string;
}

/** The chat commands with usage and one-line help (issue 6). `/start` (Telegram's first message) answers like `/help`. */
export const CHAT_COMMANDS: ReadonlyArray<{ name: string; usage: string; help: string }> = [
  { name: "new", usage: "/new", help: "start a fresh session" },
  { name: "sessions", usage: "/sessions", help: "list this chat's sessions" },
  { name: "switch", usage: "/switch N", help: "go back to session N of /sessions" },
  { name: "stop", usage: "/stop", help: "stop the reply being written" },
  { name: "model", usage: "/model", help: "show the model (/model NAME switches it)" },
  { name: "help", usage: "/help", help: "this list" },
];

/**
 * The prefix chat commands are shown with on `platform`: `!` where the platform's own client takes every `/…` for
 * its slash commands (Slack: `/new` never reaches a bot), `/` elsewhere. Both prefixes work on every platform, so
 * one convention (`!new`) works in every chat.
 */
export function commandPrefixOf(platform: string): "/" | "!" {
  return platform === "slack" ? "!" : "/";
}

/** How many sessions `/sessions` shows (the newest; older ones keep their numbers for `/switch`). */
export const SESSIONS_SHOWN = 10;

// leading mentions a platform may leave in the text: `@bot`, Discord's `<@123>` / `<@!123>` / `<@&123>`, Slack's `<@U0123ABC>`
const LEADING_MENTIONS = /^(?:(?:@[\w.+-]+|<@[!&]?\w+>)[\s,:]*)+/;
// `/name` or `!name`, optionally `@botname` (Telegram's form in groups), then the arguments
const COMMAND = /^[/!]([a-zA-Z][a-zA-Z0-9_]{0,31})(?:@[\w.]+)?(?:\s+([\s\S]*))?$/;

/**
 * Parses a chat command: the text (after leading mentions) starts with `/name` or `!name` (see
 * {@link commandPrefixOf}), optionally `/name@botname` (Telegram), then arguments. Returns undefined for anything
 * else, including `/` or `!` followed by a non-letter. Unknown names parse too; {@link runChatCommand} leaves them
 * to the model.
 */
export function parseCommand(text: string): ParsedCommand | undefined {
  const m = COMMAND.exec(text.trim().replace(LEADING_MENTIONS, ""));
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), args: (m[2] ?? "").trim() };
}

/** What chat commands need from the daemon. */
export interface ChatCommandDeps {
  store: Store;
  runner: Pick<Runner, "abort">;
  config: () => Config;
}

/** The chat a channel address belongs to (its binding key). */
export function chatKeyOf(ch: ChannelAddress): ChatKey {
  return { platform: ch.platform, chatId: ch.chatId, threadId: ch.threadId ?? "" };
}

/**
 * Runs one chat command for the chat of `channel`, whose message was stored in `sessionId` (the chat's current
 * session). Returns the reply text, or undefined when `cmd` is not a chat command (the model answers instead).
 * `/new` and `/switch N` rebind the chat, keeping its `/model` choice; `/stop` aborts the running reply of the
 * current session; `/model NAME` sets the chat's model when the platform has `allowModelSwitch`.
 */
export function runChatCommand(cmd: ParsedCommand, ctx: { channel: ChannelAddress; sessionId: string }, deps: ChatCommandDeps): string | undefined {
  const chat = chatKeyOf(ctx.channel);
  const binding = deps.store.getBinding(chat.platform, chat.chatId, chat.threadId);
  const currentId = binding?.sessionId ?? ctx.sessionId;
  const model = binding?.model ?? null;
  const p = commandPrefixOf(ctx.channel.platform);
  switch (cmd.name) {
    case "new": {
      const s = deps.store.createSession();
      deps.store.setBinding(chat.platform, chat.chatId, chat.threadId, s.id, model);
      const n = deps.store.chatSessions(chat, s.id).length;
      return `Started a new session (#${n}). Your earlier ones are in ${p}sessions.`;
    }
    case "sessions":
      return listSessions(deps, chat, currentId, p);
    case "switch": {
      const n = /^#?(\d{1,6})$/.exec(cmd.args)?.[1];
      const all = deps.store.chatSessions(chat, currentId);
      if (!n) return `Usage: ${p}switch N, where N is a number from ${p}sessions.`;
      const target = all[Number(n) - 1];
      if (!target) return all.length === 1 ? "This chat has only one session so far." : `There is no session ${n}; ${p}sessions lists 1 to ${all.length}.`;
      if (target.id === currentId) return `Session ${n} is already the current one.`;
      deps.store.setBinding(chat.platform, chat.chatId, chat.threadId, target.id, model);
      const label = sessionLabel(deps.store, target);
      return `Switched to session ${n}${label ? `: ${label}` : ""}. I'll continue from there.`;
    }
    case "stop":
      return deps.runner.abort({ sessionId: currentId }) ? "Stopped." : "Nothing to stop.";
    case "model":
      return modelCommand(cmd.args, deps, ctx.channel, chat, currentId, model, p);
    case "help":
    case "start":
      return helpText(deps.config(), ctx.channel.platform);
    default:
      return undefined;
  }
}

function listSessions(deps: ChatCommandDeps, chat: ChatKey, currentId: string, p: string): string {
  const all = deps.store.chatSessions(chat, currentId);
  const tz = deps.config().agent.timezone;
  const when = new Intl.DateTimeFormat("en-GB", { timeZone: tz, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false });
  const first = Math.max(0, all.length - SESSIONS_SHOWN);
  const lines = ["Sessions of this chat:"];
  if (first > 0) lines.push(`(${first} older not shown; ${p}switch 1 to ${first} still works)`);
  all.slice(first).forEach((s, i) => {
    const label = sessionLabel(deps.store, s) ?? "(empty)";
    lines.push(`${first + i + 1}. ${label} · ${when.format(s.updatedAt)}${s.id === currentId ? " (current)" : ""}`);
  });
  lines.push(`${p}switch N goes back to one, ${p}new starts another.`);
  return lines.join("\n");
}

function modelCommand(args: string, deps: ChatCommandDeps, ch: ChannelAddress, chat: ChatKey, currentId: string, model: string | null, p: string): string {
  const cfg = deps.config();
  const names = Object.keys(cfg.models);
  const active = model && cfg.models[model] ? model : cfg.model;
  const describe = (name: string) => {
    const m = cfg.models[name];
    return m ? `${name} (${m.model} via ${m.provider})` : name;
  };
  const allowed = accessOf(cfg.channels, ch.platform).allowModelSwitch;
  if (!args) {
    const lines = [active === cfg.model ? `Model: ${describe(active)}.` : `Model of this chat: ${describe(active)}; the agent's default is ${cfg.model}.`];
    if (allowed && names.length > 1) lines.push(`Switch with ${p}model NAME: ${names.join(", ")} (${p}model default goes back).`);
    return lines.join("\n");
  }
  if (!allowed) return `Switching models is not enabled for ${ch.platform} chats. Model: ${describe(active)}.`;
  if (args === "default" || args === "reset") {
    deps.store.setBinding(chat.platform, chat.chatId, chat.threadId, currentId, null);
    return `This chat uses the agent's default model again: ${describe(cfg.model)}.`;
  }
  if (!cfg.models[args]) return `There is no model named "${args.slice(0, 64)}". Choose one of: ${names.join(", ")}.`;
  deps.store.setBinding(chat.platform, chat.chatId, chat.threadId, currentId, args);
  return `This chat now uses ${describe(args)}.`;
}

function helpText(cfg: Config, platform: string): string {
  const canSwitch = accessOf(cfg.channels, platform).allowModelSwitch;
  const lines = ["Just write to me. Commands:"];
  const p = commandPrefixOf(platform);
  const shown = (s: string) => s.replace(/\//g, p);
  for (const c of CHAT_COMMANDS) lines.push(`${shown(c.usage)}: ${c.name === "model" && !canSwitch ? "show the model" : shown(c.help)}`);
  return lines.join("\n");
}
