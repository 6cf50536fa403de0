import { existsSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";
import type { FeatureFactory } from "../feature.js";
import type { CommandHandler } from "../agent/runner.js";
import { AccessGate } from "./access.js";
import { parseCommand, runChatCommand, type ChatCommandDeps } from "./commands.js";
import { ACCESS_KEYS, PLATFORMS, accessOf, type ChannelsConfig } from "../config/sections/channels.js";
import { Pairing, wireSender } from "./pairing.js";
import type { ApprovalService } from "../approvals/service.js";
import type { ChannelAddress } from "../../protocol/chat.js";
import { AgentdError } from "../errors.js";
import { BridgeSupervisor, type BridgeCommand, type BridgeSupervisorOptions } from "./supervisor.js";

/**
 * The daemon's part of channel messages, run when a message is accepted: access (group policy, allowlist, one
 * refusal per sender per 10 minutes), then chat commands. Messages without a channel go to the model untouched.
 * Refusals, ignored messages of denied senders, and commands with their replies are kept out of the model's
 * context; ignored group messages of allowed senders stay in it (the agent sees the conversation it is asked about).
 */
export function createChannelHandler(gate: AccessGate, deps: ChatCommandDeps, log: Logger, extra: ChannelExtras = {}): CommandHandler {
  return (text, { sessionId, channel }) => {
    if (!channel) return undefined;
    const decision = gate.decide(channel);
    if (decision.kind === "pairing") {
      if (!extra.pairing) return { ignored: true, excludeFromContext: true };
      const ttlMs = accessOf(deps.config().channels, channel.platform).pairingCodeTtlMs;
      const issued = extra.pairing.issue(channel, ttlMs);
      if (!issued.fresh) return { ignored: true, excludeFromContext: true };
      log.info({ platform: channel.platform, userId: channel.userId }, `gave a pairing code to an unknown ${channel.platform} sender`);
      extra.onPairingCode?.(issued.code, channel);
      return { reply: pairingReply(issued.code, ttlMs), excludeFromContext: true };
    }
    if (decision.kind === "ignored") return { ignored: true, excludeFromContext: decision.denied };
    if (decision.kind === "denied") {
      if (!decision.refusal) return { ignored: true, excludeFromContext: true };
      log.info({ platform: channel.platform, chatId: channel.chatId, userId: channel.userId }, `refused a ${channel.platform} sender who is not on the allowlist`);
      return { reply: decision.refusal, excludeFromContext: true };
    }
    const answer = extra.approvals && approvalCommand(text, channel, extra.approvals);
    if (answer) return { reply: answer, excludeFromContext: true };
    const cmd = parseCommand(text);
    if (!cmd) return undefined;
    const reply = runChatCommand(cmd, { channel, sessionId }, deps);
    return reply === undefined ? undefined : { reply, excludeFromContext: true };
  };
}

/** What the channel handler uses besides access and chat commands (issue 13). */
export interface ChannelExtras {
  pairing?: Pairing;
  approvals?: ApprovalService;
  /** Called when an unknown sender got a new pairing code (the owner's chats are told, with a button). */
  onPairingCode?: (code: string, channel: ChannelAddress) => void;
}

/** The line an unknown sender gets with their pairing code. */
export function pairingReply(code: string, ttlMs: number): string {
  return `Hi! I only talk with people my owner has approved. Your pairing code is ${code} (valid ${Math.round(ttlMs / 60_000)} minutes): ask my owner to run \`agentd pairing approve ${code}\`.`;
}

/**
 * `/approve CODE`, `/always CODE`, `/deny CODE` from a chat (issue 13: WhatsApp and any chat without buttons):
 * the answer line, or undefined when `text` is not one of them.
 */
export function approvalCommand(text: string, channel: ChannelAddress, approvals: ApprovalService): string | undefined {
  const m = /^\/(approve|always|deny)(?:@\w+)?\s+([A-Za-z0-9_-]{4,64})\s*$/i.exec(text.trim());
  if (!m) return undefined;
  const decision = m[1]!.toLowerCase() as "approve" | "always" | "deny";
  try {
    const a = approvals.decide(m[2]!, decision, { platform: channel.platform, userId: channel.userId, userName: channel.userName });
    return `Done: ${a.tool} ${a.state === "denied" ? "denied" : decision === "always" ? "allowed from now on" : "approved"}.`;
  } catch (err) {
    return err instanceof AgentdError ? err.message : "could not answer that approval";
  }
}

/**
 * The bundled CLI that runs bridges: `process.argv[1]` when the daemon was started by the CLI (`agentd start`),
 * else the CLI next to this module (bundle: `dist/bundle/src/cli/main.js`; tsc output: `dist/src/cli/main.js`).
 * Returns undefined when none exists.
 */
export function findCli(argv1 = process.argv[1], moduleUrl = import.meta.url): string | undefined {
  const isCli = (f: string) => /[\\/]cli[\\/]main\.js$/.test(f);
  if (argv1 && existsSync(argv1)) {
    if (isCli(argv1)) return resolve(argv1);
    const real = realpathSync(argv1); // `agentd` may be an npm bin symlink
    if (isCli(real)) return real;
  }
  const here = dirname(fileURLToPath(moduleUrl));
  return [join(here, "src", "cli", "main.js"), join(here, "..", "cli", "main.js")].find((f) => existsSync(f));
}

/**
 * Access keys a platform's bridge also reads, so a change must restart it: the Slack bridge forwards channel messages
 * that do not address the bot only with `groups: all` (otherwise each would become a conversation of its own).
 */
const ACCESS_KEYS_BRIDGES_READ: Partial<Record<(typeof PLATFORMS)[number], readonly string[]>> = { slack: ["groups"] };

/** The settings of a platform that its bridge reads (everything but the access keys): a change restarts it. */
export function bridgeSettings(channels: ChannelsConfig, platform: (typeof PLATFORMS)[number]): string | undefined {
  const block = channels[platform];
  if (!block?.enabled) return undefined;
  const read = ACCESS_KEYS_BRIDGES_READ[platform] ?? [];
  return JSON.stringify(Object.entries(block).filter(([k]) => !ACCESS_KEYS.has(k) || read.includes(k)));
}

/**
 * The channels feature (issue 6): provides the run hook (`command`) that applies access rules and chat commands to
 * channel messages, serves `bridges.list` and the `pairing.*` methods (issue 13), and supervises the bridge of every platform with `enabled: true` (`node <cli> bridge <platform> DIR`,
 * see {@link BridgeSupervisor}). Config edits apply live: access on the next message; a bridge is started,
 * stopped or restarted when its platform is enabled, disabled or its bridge settings (token, API root) change.
 */
export const channelsFeature: FeatureFactory = (ctx) => createChannelsFeature(ctx);

/**
 * Builds the {@link channelsFeature}; `opts.command` replaces how a bridge is run (tests), `opts.supervisor` tunes
 * the supervisor's delays. Default command: `process.execPath <cli> bridge <platform> DIR` ({@link findCli}).
 */
export function createChannelsFeature(
  ctx: Parameters<FeatureFactory>[0],
  opts: { command?: (platform: string) => BridgeCommand; supervisor?: Partial<BridgeSupervisorOptions> } = {},
): ReturnType<FeatureFactory> {
  const log = ctx.logger.child({ component: "channels" });
  const pairing = new Pairing(ctx.store);
  const gate = new AccessGate({ channels: () => ctx.config.get().channels, isPaired: (ch) => pairing.isPaired(ch) });
  const command = createChannelHandler(gate, { store: ctx.store, runner: ctx.runner, config: () => ctx.config.get() }, log, {
    pairing, approvals: ctx.approvals,
    onPairingCode: (code, ch) => {
      const who = ch.userName ? `@${ch.userName.replace(/^@/, "")} (${ch.platform} id ${ch.userId})` : `${ch.platform} id ${ch.userId}`;
      for (const o of ctx.config.get().owner.chats) {
        ctx.outbox.enqueue({
          address: { platform: o.platform, chatId: o.chatId }, idempotencyKey: `pairing:${code}:${o.platform}:${o.chatId}`,
          text: `Pairing request: ${who} wants to talk to me. Their code is ${code}; let them in with the button or \`agentd pairing approve ${code}\`.`,
          buttons: [{ text: "Let them in", data: `pr:${code}:approve` }],
        });
      }
    },
  });
  let supervisor: BridgeSupervisor | undefined;
  // each supervised bridge gets a `bridge`-scoped token of its own, minted for this run of the daemon (never the
  // owner token: it replaces AGENTD_TOKEN in the bridge's environment, which the bridge reads before .env)
  const bridgeTokens = new Map<string, string>();
  const bridgeToken = (platform: string): string => {
    let t = bridgeTokens.get(platform);
    if (!t) bridgeTokens.set(platform, (t = ctx.mintToken(`bridge-${platform}`, ["bridge"])));
    return t;
  };

  const bridgeCommandOf = (): ((platform: string) => BridgeCommand) | undefined => {
    const given = opts.command;
    if (given) return (platform) => ({ ...given(platform), env: { AGENTD_TOKEN: bridgeToken(platform), ...given(platform).env } });
    const cli = findCli();
    return cli ? (platform) => ({ file: process.execPath, args: [cli, "bridge", platform, ctx.dir], env: { AGENTD_TOKEN: bridgeToken(platform) } }) : undefined;
  };
  const startEnabled = (channels: ChannelsConfig) => {
    const wanted = PLATFORMS.filter((p) => channels[p]?.enabled);
    if (wanted.length === 0) return;
    if (!supervisor) {
      const command = bridgeCommandOf();
      if (!command) {
        log.error("cannot start the bridges: the agentd CLI (dist/bundle/src/cli/main.js) was not found");
        return;
      }
      supervisor = new BridgeSupervisor({ logger: ctx.logger, command, cwd: ctx.dir, env: { ...process.env, AGENTD_BRIDGE_SUPERVISED: "1" }, ...opts.supervisor });
    }
    for (const p of wanted) supervisor.start(p);
  };
  let started = false;
  let applying = Promise.resolve(); // config changes apply one after the other
  ctx.config.onChange((next, prev, changed) => {
    if (!started || !changed.includes("channels")) return;
    applying = applying
      .then(async () => {
        for (const p of PLATFORMS) {
          if (bridgeSettings(next.channels, p) !== bridgeSettings(prev.channels, p)) await supervisor?.stopOne(p);
        }
        if (started) startEnabled(next.channels);
      })
      .catch((err: unknown) => log.error({ err }, "could not apply the channels config"));
  });

  const bridges = () => ({ bridges: supervisor?.status() ?? [] });
  return {
    name: "channels",
    runHooks: { command },
    handlers: (registry) => {
      registry
        .on("bridges.list", bridges)
        .on("pairing.list", () => pairing.list())
        .on("pairing.approve", (p, call) => {
          // the owner approves from a chat (a bridge passes `by`, one of owner.chats) or through a token with admin
          const by = p.by;
          if (!by && !call.principal.scopes.includes("admin")) throw new AgentdError("unauthorized", "pairing.approve without `by` needs the admin scope (a bridge answers as the owner's chat user who pressed)");
          if (by && !ctx.config.get().owner.chats.some((o) => o.platform === by.platform && o.userId === by.userId)) throw new AgentdError("unauthorized", "only the owner (owner.chats) may approve a pairing code from a chat");
          return { sender: wireSender(pairing.approve(p.code, by ? `${by.platform}:${by.userId}` : "owner")) };
        })
        .on("pairing.revoke", (p) => ({ revoked: pairing.revoke(p.platform, p.userId) }));
    },
    start: () => {
      started = true;
      startEnabled(ctx.config.get().channels);
    },
    stop: async () => {
      started = false;
      await applying;
      await supervisor?.stop();
    },
  };
}
