/**
 * Issue 17 item 2: after a crash `.port` stays behind, and any program may bind that port. Clients that find the
 * daemon through `.port` (`agentd chat`, `agentd status`, bridges and their uploads) must never give that program
 * the token, nor its SHA-256 (the handshake's HMAC key): the daemon proves itself first (protocol 2,
 * protocol/handshake.ts). A real impostor here: an HTTP + WebSocket server on the port of a stale `.port` that
 * records every byte it receives and plays along (answers `hello` with a made-up challenge, or with `welcome`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { CLI, ROOT, cleanup, initAgent, runCli, waitFor } from "./support/daemon.js";
import { startFakeDiscord, type FakeDiscord } from "./support/fake-discord.js";
import { connectDaemon } from "../bridges/common/bridge-host.js";
import { BridgeRuntime, type IncomingMessage } from "../bridges/common/bridge-runtime.js";

interface Impostor {
  port: number;
  /** Everything received: request lines, headers, bodies, WebSocket frames. */
  received: string[];
  hellos: number;
  mode: "challenge" | "welcome";
  close(): Promise<void>;
}

async function startImpostor(): Promise<Impostor> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push(`${req.method} ${req.url}\n${JSON.stringify(req.headers)}\n${body}`);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "ok", version: "0.1.0", uptimeMs: 1 }));
    });
  });
  const wss = new WebSocketServer({ server, path: "/ws" });
  const imp: Impostor = {
    port: 0, received, hellos: 0, mode: "challenge",
    close: () => new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
  wss.on("connection", (ws, req) => {
    received.push(`UPGRADE ${req.url}\n${JSON.stringify(req.headers)}`);
    ws.on("message", (data) => {
      const text = String(data);
      received.push(text);
      if (!text.includes('"hello"')) return;
      imp.hellos++;
      if (imp.mode === "welcome") {
        ws.send(JSON.stringify({ type: "welcome", server: { name: "agentd", version: "0.1.0" }, agent: { name: "evil" }, protocol: 2, methods: ["chat.send"], events: [] }));
      } else {
        ws.send(JSON.stringify({ type: "challenge", serverNonce: "n".repeat(43), serverProof: "p".repeat(43) }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  imp.port = (server.address() as AddressInfo).port;
  return imp;
}

/** The token and every form of its hash a careless client might send. */
function secretsOf(token: string): string[] {
  const h = createHash("sha256").update(token).digest();
  return [token, h.toString("hex"), h.toString("base64"), h.toString("base64url")];
}

let dir: string;
let token: string;
let imp: Impostor;
let discord: FakeDiscord;

beforeAll(async () => {
  discord = await startFakeDiscord();
  ({ dir, token } = await initAgent({
    llmUrl: "http://127.0.0.1:9/v1",
    edit: (cfg) => {
      cfg.channels = { discord: { enabled: false, policy: "allowlist", allowlist: ["ann"], botToken: "fake-discord-token", apiBase: discord.apiUrl } };
    },
  }));
});
afterEach(async () => {
  await imp?.close();
});
afterAll(async () => {
  await discord?.close();
  cleanup(join(dir, ".."));
});

/** A stale `.port` (the daemon crashed) pointing at a fresh impostor. */
async function impostorOnStalePort(mode: Impostor["mode"]): Promise<void> {
  imp = await startImpostor();
  imp.mode = mode;
  writeFileSync(join(dir, ".port"), `${imp.port}\n`);
}

function expectNothingLeaked(): void {
  const all = imp.received.join("\n");
  for (const s of secretsOf(token)) expect(all.includes(s), "the impostor received the token or its hash").toBe(false);
}

describe("a program on the port of a stale .port", () => {
  for (const mode of ["challenge", "welcome"] as const) {
    it(`agentd chat gives it nothing and exits with a clear message (impostor answers ${mode})`, async () => {
      await impostorOnStalePort(mode);
      const r = await runCli(["chat", dir], { env: { AGENTD_TOKEN: "" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("could not prove it is this agent's daemon");
      expect(r.stderr).toContain("the token was not sent");
      expect(imp.hellos).toBeGreaterThan(0); // it did talk to the impostor
      expectNothingLeaked();
    });
  }

  it("agentd status reports it without sending the token", async () => {
    await impostorOnStalePort("challenge");
    const r = await runCli(["status", dir, "--json"], { env: { AGENTD_TOKEN: "" } });
    expect(JSON.parse(r.stdout)).toMatchObject({ state: "crashed", note: `port ${imp.port} is answered by another process` });
    expectNothingLeaked();
  });

  it("a bridge process keeps retrying with a clear log line and never sends the token", async () => {
    await impostorOnStalePort("challenge");
    const child = spawn(process.execPath, [CLI, "bridge", "discord", dir], {
      cwd: ROOT, env: { ...process.env, AGENTD_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    try {
      // it tried (and was refused by its own check) at least twice: it retries, it does not give up or give in
      await waitFor(() => imp.hellos >= 2, "two handshake attempts of the bridge", 20_000);
      expect(out).toContain("could not prove it is this agent's daemon");
      expectNothingLeaked();
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("a bridge's upload of a user's file waits for a proved daemon and never goes to the impostor", async () => {
    await impostorOnStalePort("challenge");
    const logs: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (o: unknown, m?: string) => logs.push(`${m} ${JSON.stringify(o)}`), error: () => {} };
    const { client, endpoint } = connectDaemon({ agentDir: dir }, "test", logger);
    const replies: string[][] = [];
    const runtime = new BridgeRuntime<IncomingMessage>({
      client, logger, endpoint,
      adapter: {
        platform: "test", format: (t) => [t], sendTyping: async () => {}, typingIntervalMs: 5000,
        sendDelivery: async (_a, c) => (replies.push(c), c.map((_x, i) => String(i))),
      },
    });
    try {
      void runtime.receive({ messageId: "1", channel: { platform: "test", chatId: "c1", userId: "u1", isGroup: false, mentioned: false }, text: "see file" }, [
        { filename: "a.txt", mime: "text/plain", fetch: async () => new Uint8Array(Buffer.from("hello")) as Uint8Array<ArrayBuffer> },
      ]);
      await waitFor(() => imp.hellos >= 2, "two handshake attempts of the bridge client", 20_000);
      expect(imp.received.some((r) => r.startsWith("POST /api/upload"))).toBe(false);
      expect(logs.join("\n")).toContain("could not prove it is this agent's daemon");
      expectNothingLeaked();
    } finally {
      client.close();
      await runtime.idle(2000);
    }
  });
});
