// Issue 17 on a real daemon: config values that cannot start the server (item 3), `${VAR}` in a provider test
// (item 4), `${VAR}` for numbers and "did you mean" for unknown keys (item 12).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { appendFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { cleanup, initAgent, startDaemon, type RunningDaemon } from "./support/daemon.js";

const KEY = "sk-test-0123456789abcdefWXYZ";
const json = async (res: Response): Promise<any> => res.json();

/** A stand-in provider that records every request it gets (URL and headers) and lists no models. */
async function startCapture(): Promise<{ url: string; seen: Array<{ url: string; headers: IncomingHttpHeaders }>; close(): Promise<void> }> {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data: [{ id: "m1", object: "model" }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, seen, close: () => new Promise((r) => server.close(() => r())) };
}

let llm: FakeLlm;
let d: RunningDaemon;
let root: string;
const send = (path: string, method: string, body: unknown) => d.api(path, { method, body: JSON.stringify(body) });

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url });
  root = join(dir, "..");
  appendFileSync(join(dir, ".env"), `OPENAI_API_KEY=${KEY}\nUNRELATED_SECRET=do-not-send-me\n`);
  d = await startDaemon(dir, { env: { DAEMON_ONLY_SECRET: "from-the-daemon-environment" } });
});
afterAll(async () => {
  await d?.kill();
  await llm?.close();
  if (root) cleanup(root);
});

describe("POST /api/providers/test expands only provider keys of the agent's .env (item 4)", () => {
  it("never sends the owner token, HOME or any other variable of the daemon's environment", async () => {
    const capture = await startCapture();
    try {
      const leaks = ["${AGENTD_TOKEN}", "${HOME}", "${DAEMON_ONLY_SECRET}", "${UNRELATED_SECRET}", "x-${PATH:-none}"];
      for (const ref of leaks) {
        for (const body of [{ baseUrl: capture.url, apiKey: ref }, { baseUrl: capture.url, headers: { "x-leak": ref } }]) {
          const res = await send("/api/providers/test", "POST", body);
          expect(res.status, `${JSON.stringify(body)}`).toBe(400);
          const { error } = await json(res);
          expect(error.code).toBe("bad_request");
          expect(error.details.path).toMatch(/^(apiKey|headers\.x-leak)$/);
          expect(error.message).toContain(".env");
        }
      }
      expect(capture.seen).toEqual([]);

      // a provider key the .env defines (and agentd.yaml uses for a provider) is expanded: that is what the test is for
      const res = await send("/api/providers/test", "POST", { baseUrl: capture.url, apiKey: "${OPENAI_API_KEY}" });
      expect(await json(res)).toMatchObject({ ok: true, models: ["m1"] });
      expect(capture.seen.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`]);
      const everything = JSON.stringify(capture.seen);
      for (const secret of [d.token, process.env.HOME!, "from-the-daemon-environment", "do-not-send-me"]) expect(everything).not.toContain(secret);
    } finally {
      await capture.close();
    }
  });
});
