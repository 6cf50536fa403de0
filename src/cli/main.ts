#!/usr/bin/env node
import * as nodeModule from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AgentdError, ConfigError } from "../errors.js";

const USAGE = `agentd: a small daemon that gives one AI agent a home folder

Usage:
  agentd init DIR                 create an agent folder (config, prompts, vault, token)
  agentd start DIR                run the agent in the foreground (Ctrl-C stops it)
  agentd chat DIR                 chat with a running agent in the terminal
  agentd open DIR [--no-browser]  open the web app signed in (prints a one-time link, valid 60 s)
  agentd chat --url URL --token T chat with an agent on another machine
  agentd status [DIR] [--json]    is the agent running: port, pid, uptime, model, sessions, MCP (exit 3: stopped)
  agentd ls [DIR...] [--json]     the agents in these folders and their subfolders (4 levels), with port and state
  agentd stop DIR                 stop a running agent (SIGTERM, waits up to 10 s for .port to go)
  agentd approvals DIR            the tool calls waiting for your approval
  agentd approvals approve|always|deny ID DIR
                                  answer one (ID: its id or short code); the first answer wins
  agentd pairing list DIR         senders approved through pairing, and codes waiting
  agentd pairing approve CODE DIR let the sender who got CODE talk to the agent
  agentd pairing revoke PLATFORM USER_ID DIR
  agentd bridge PLATFORM DIR      run the telegram|discord|whatsapp|slack bridge of a running agent
  agentd bridge PLATFORM --url URL --token T [DIR]
                                  the same for an agent on another machine (DIR: where the config is)
  agentd doctor DIR [--json] [--paid]
                                  check node, config, token, port, provider keys, bridge tokens, MCP, disk,
                                  database, vault index, sandbox, each with its fix (exit 1: one failed)
  agentd backup DIR [--out FILE] [--include-secrets]
                                  a consistent .tar.gz of the agent, also while it runs
  agentd restore FILE DIR [--force]
                                  unpack a backup into DIR (refused while an agent runs there)
  agentd service install|uninstall|status DIR
                                  run the agent as a systemd user unit (Linux) or launchd agent (macOS)
  agentd logs DIR [-f] [--level warn] [--since 1h] [--json]
                                  the agent's log files, pretty-printed (-f: follow)
  agentd token create NAME --scope chat,read,vault,bridge,admin [--expires 30d] [DIR]
                                  a named token with scopes, printed once (only its hash is kept)
  agentd token ls [DIR] [--json]  the named tokens: scopes, expiry, last use
  agentd token revoke NAME [DIR]  revoke a named token (it stops working at once)
  agentd mcp DIR                  an MCP server on stdio that forwards to the running agent (Claude Desktop)
  agentd --version
`;

/** Commands with their own options, parsed in src/cli/operate.ts. */
const OPERATE_COMMANDS = new Set(["doctor", "backup", "restore", "service", "logs"]);

/** EX_CONFIG from sysexits.h: the configuration is wrong. */
const EXIT_CONFIG = 78;

// V8 code cache on disk: later starts skip compiling the bundle (Node >= 22.1; bin/agentd.cjs, the `agentd` command,
// turns it on before loading this file and checks the Node version first)
nodeModule.enableCompileCache?.();

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command && OPERATE_COMMANDS.has(command)) {
    const { operateCommand } = await import("./operate.js");
    process.exitCode = await operateCommand(command, rest);
    return;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      url: { type: "string" }, token: { type: "string" }, session: { type: "string" }, help: { type: "boolean", short: "h" }, json: { type: "boolean" },
      scope: { type: "string" }, expires: { type: "string" }, "no-browser": { type: "boolean" },
    },
  });
  const dir = positionals[0];
  switch (command) {
    case "init": {
      if (!dir) throw new AgentdError("bad_request", "usage: agentd init DIR");
      const { initAgent } = await import("./init.js");
      for (const line of initAgent(dir)) process.stdout.write(`${line}\n`);
      return;
    }
    case "start": {
      if (!dir) throw new AgentdError("bad_request", "usage: agentd start DIR");
      // node:http (and the undici it loads), then the V8 settings, before the heap grows: in this process, not a
      // second Node boot (issue 20). Built-ins loaded after a V8 flag is set are compiled from source (src/preload-builtins.ts)
      await (await import("../preload-builtins.js")).loadPreloadedBuiltins();
      (await import("../memory.js")).applyDaemonHeapSettings();
      const { startCommand } = await import("./start.js");
      return startCommand(dir);
    }
    case "chat": {
      if (!dir && !values.url) throw new AgentdError("bad_request", "usage: agentd chat DIR | --url URL --token T");
      const { chatCommand } = await import("./chat.js");
      return chatCommand({
        ...(dir ? { agentDir: dir } : {}), ...(values.url ? { url: values.url } : {}),
        ...(values.token ? { token: values.token } : {}), ...(values.session ? { sessionId: values.session } : {}),
      });
    }
    case "open": {
      if (!dir) throw new AgentdError("bad_request", "usage: agentd open DIR [--no-browser]");
      const { openCommand } = await import("./open.js");
      await openCommand(dir, { browser: !values["no-browser"] });
      return;
    }
    case "bridge": {
      const [platform, agentDir] = positionals;
      if (!platform || (!agentDir && !values.url)) throw new AgentdError("bad_request", "usage: agentd bridge PLATFORM DIR | --url URL --token T [DIR]");
      const { bridgeCommand } = await import("./bridge.js");
      await bridgeCommand({
        platform, cliFile: fileURLToPath(import.meta.url), ...(agentDir ? { agentDir } : {}), ...(values.url ? { url: values.url } : {}), ...(values.token ? { token: values.token } : {}),
      });
      process.exit(0); // the bridge stopped cleanly; sockets it left open must not keep the process up
    }
    case "token": {
      const { tokenCommand, parseTokenCommand } = await import("./token.js");
      tokenCommand(parseTokenCommand(positionals, values));
      return;
    }
    case "mcp": {
      if (!dir && !values.url) throw new AgentdError("bad_request", "usage: agentd mcp DIR | --url URL --token T");
      const { mcpProxyCommand } = await import("./mcp-proxy.js");
      await mcpProxyCommand({ ...(dir ? { agentDir: dir } : {}), ...(values.url ? { url: values.url } : {}), ...(values.token ? { token: values.token } : {}) });
      process.exit(0);
    }
    case "status":
    case "ls":
    case "stop": {
      const ops = await import("./ops.js");
      if (command === "stop" && !dir) throw new AgentdError("bad_request", "usage: agentd stop DIR");
      const json = values.json === true;
      process.exitCode = command === "status" ? await ops.statusCommand(dir ?? ".", { json }) : command === "ls" ? await ops.lsCommand(positionals, { json }) : await ops.stopCommand(dir!);
      return;
    }
    case "approvals":
    case "pairing": {
      const cmds = await import("./approvals.js");
      const json = values.json === true;
      process.exitCode = command === "approvals" ? await cmds.approvalsCommand(positionals, { json }) : await cmds.pairingCommand(positionals, { json });
      return;
    }
    case "--version":
    case "-v": {
      const { VERSION } = await import("../version.js");
      process.stdout.write(`${VERSION}\n`);
      return;
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return;
    default:
      throw new AgentdError("bad_request", `unknown command "${command}"\n\n${USAGE}`);
  }
}

// `agentd status | head -1`: the reader left. Output nobody reads is not an error: the command finishes with its
// own exit code (Node ignores SIGPIPE, so the failed write surfaces as an EPIPE 'error' event that would crash)
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
});

main(process.argv.slice(2)).catch(async (err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`agentd: config error in ${err.file}: ${err.keyPath || "(root)"}: ${err.reason}\n`);
    process.exit(EXIT_CONFIG);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`agentd: ${message}\n`);
  // not an error agentd reports on purpose (AgentdError) nor one from the system (ENOENT, EACCES…: the message says
  // it all): a bug, so print where it happened, in src/…ts terms, for the bug report
  if (err instanceof Error && !(err instanceof AgentdError) && !("syscall" in err) && err.stack) {
    const { sourceMappedStack } = await import("../logs/source-mapped-stack.js");
    process.stderr.write(`${sourceMappedStack(err.stack).split("\n").slice(1).join("\n")}\n`);
  }
  process.exit(err instanceof AgentdError && err.code === "bad_request" ? 64 : 1);
});
