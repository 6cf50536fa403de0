// Web app benchmark (issue 14): the gzipped JavaScript and CSS of the first screen (budget < 120 KB of JS), and on a
// local daemon the time to first paint and to the signed-in first screen (chat, its data loaded over /ws; budget
// < 300 ms), median of BENCH_WEB_LOADS loads (default 7) in headless Chromium, each in a fresh browser context (cold
// HTTP cache). Baseline in the same run: the same measure for a static one-line page from a bare node:http server.
// Run: npm run build && node dist/scripts/bench/web.js (needs /usr/bin/chromium: apt-get install -y chromium)
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type Browser } from "playwright-core";
import { PACKAGE_ROOT } from "../../src/version.js";
import { median, row } from "./lib/measure.js";
import { envNumber, initBenchAgent, startBenchDaemon, startFakeLlmChild } from "./lib/setup.js";

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Gzipped bytes (level 9) of the JS and CSS the first screen loads (every asset index.html names). */
export function firstScreenBytes(webRoot = join(PACKAGE_ROOT, "dist", "bundle", "web")): { jsGzip: number; cssGzip: number; jsRaw: number } {
  const html = readFileSync(join(webRoot, "index.html"), "utf8");
  const assets = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!);
  let jsGzip = 0, cssGzip = 0, jsRaw = 0;
  for (const a of assets) {
    const body = readFileSync(join(webRoot, "assets", a));
    const gz = gzipSync(body, { level: 9 }).length;
    if (a.endsWith(".js")) {
      jsGzip += gz;
      jsRaw += body.length;
    } else cssGzip += gz;
  }
  return { jsGzip, cssGzip, jsRaw };
}

async function paintTimes(browser: Browser, url: string, cookie?: { name: string; value: string; port: number }): Promise<{ fp: number; screen: number; script: number; connected: number }> {
  const context = await browser.newContext();
  if (cookie) await context.addCookies([{ name: cookie.name, value: cookie.value, domain: "127.0.0.1", path: "/", httpOnly: true, sameSite: "Strict" }]);
  const page = await context.newPage();
  await page.goto(url);
  // runs in the page (the CSP forbids evaluating a string; this file is type-checked without the DOM library)
  const t = await page.waitForFunction(() => {
    const fp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime;
    const mark = performance.getEntriesByName("agentd:first-screen")[0]?.startTime;
    const isApp = (globalThis as unknown as { document: { getElementById(id: string): unknown } }).document.getElementById("app") !== null;
    const at = (name: string) => performance.getEntriesByName(name)[0]?.startTime ?? 0;
    return fp !== undefined && (mark !== undefined || !isApp) ? { fp, screen: mark ?? fp, script: at("agentd:script"), connected: at("agentd:connected") } : undefined;
  }, undefined, { polling: 10, timeout: 10_000 });
  const v = (await t.jsonValue()) as { fp: number; screen: number; script: number; connected: number };
  await context.close();
  return v;
}

/** Runs the web benchmark; returns the figures. */
export async function runWebBench(): Promise<Record<string, number>> {
  const size = firstScreenBytes();
  console.log("web app: first screen (gzip -9)");
  console.log(row("JavaScript", size.jsGzip / 1024, "KB", 120));
  console.log(row("JavaScript, not compressed", size.jsRaw / 1024, "KB"));
  console.log(row("CSS", size.cssGzip / 1024, "KB"));


  const loads = envNumber("BENCH_WEB_LOADS", 7);
  const llm = await startFakeLlmChild();
  const agent = initBenchAgent(llm.url);
  const d = await startBenchDaemon(agent);
  const bare = createServer((_req, res) => res.end("<!doctype html><p>hello</p>")).listen(0, "127.0.0.1");
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ARGS });
  try {
    const { code } = (await (await fetch(`${d.url}/api/login-codes`, { method: "POST", headers: { authorization: `Bearer ${d.token}` } })).json()) as { code: string };
    const login = await fetch(`${d.url}/api/login`, { method: "POST", headers: { "content-type": "application/json", origin: d.url }, body: JSON.stringify({ code }) });
    const value = /=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]!;
    const cookie = { name: `agentd_session_${d.port}`, value, port: d.port };
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/`;
    await paintTimes(browser, `${d.url}/#/chat`, cookie); // warm-up: the daemon's first read of the files
    const app: Array<{ fp: number; screen: number; script: number; connected: number }> = [];
    const base: number[] = [];
    for (let i = 0; i < loads; i++) {
      app.push(await paintTimes(browser, `${d.url}/#/chat`, cookie));
      base.push((await paintTimes(browser, bareUrl)).fp);
    }
    const out = {
      jsGzipKb: size.jsGzip / 1024, cssGzipKb: size.cssGzip / 1024,
      firstPaintMs: median(app.map((a) => a.fp)), scriptEvaluatedMs: median(app.map((a) => a.script)), connectedMs: median(app.map((a) => a.connected)), firstScreenMs: median(app.map((a) => a.screen)), baselinePaintMs: median(base),
    };
    console.log(`\nlocal daemon, signed in, cold browser cache, median of ${loads} loads`);
    console.log(row("first contentful paint", out.firstPaintMs, "ms", 300));
    console.log(row("app script evaluated", out.scriptEvaluatedMs, "ms"));
    console.log(row("WebSocket signed in (welcome)", out.connectedMs, "ms"));
    console.log(row("first screen (chat) on screen", out.firstScreenMs, "ms", 300));
    console.log(row("static one-line page, bare node:http (baseline)", out.baselinePaintMs, "ms"));
    console.log(`ratio first screen / baseline paint: ${(out.firstScreenMs / out.baselinePaintMs).toFixed(2)}`);
    return out;
  } finally {
    await browser.close();
    bare.close();
    await d.stop();
    await llm.stop();
    agent.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runWebBench();
