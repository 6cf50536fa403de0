#!/usr/bin/env node
import { enableCompileCache } from "node:module";
import { parseArgs } from "node:util";
import { AgentdError, ConfigError } from "../errors.js";

const USAGE = `agentd: a small daemon that gives one AI agent a home folder

Usage:
  agentd init DIR                 create an agent folder (config, prompts, vault, token)
  agentd start DIR                run the agent in the foreground (Ctrl-C stops it)
  agentd chat DIR                 chat with a running agent in the terminal
  agentd chat --url URL --token T chat with an agent on another machine
  agentd --version
`;

/** EX_CONFIG from sysexits.h: the configuration is wrong. */
const EXIT_CONFIG = 78;

// V8 code cache on disk: later starts skip compiling the bundle (Node >= 22.1)
enableCompileCache?.();

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: { url: { type: "string" }, token: { type: "string" }, session: { type: "string" }, help: { type: "boolean", short: "h" } },
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

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`agentd: config error in ${err.file}: ${err.keyPath || "(root)"}: ${err.reason}\n`);
    process.exit(EXIT_CONFIG);
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`agentd: ${message}\n`);
  process.exit(err instanceof AgentdError && err.code === "bad_request" ? 64 : 1);
});
