// The web app in a real browser (issue 14): Debian's chromium driven by playwright-core against the real daemon
// started through the CLI, with the scripted model. Sign-in by a one-time link, streaming, abort, sessions, vault
// (wikilink, edit saved to disk), the config editor's error at the key, and a page of another origin that tries to
// ride the cookie. Screenshots at phone and desktop widths land in test-artifacts/web/ (git-ignored).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server } from "node:http";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { scriptSideCalls } from "./support/agent-llm.js";
import { cleanup, initAgent, ROOT, runCli, startDaemon, waitFor, type RunningDaemon } from "./support/daemon.js";

/** Debian's chromium; the flags keep it from reaching the network or the GPU. */
export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const ARTIFACTS = join(ROOT, "test-artifacts", "web");
const STREAMED = "Streaming reply: one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen.";

let llm: FakeLlm;
let d: RunningDaemon;
let root: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let evil: Server;

const shoot = async (name: string) => {
  for (const [width, height, label] of [[390, 844, "phone"], [1280, 800, "desktop"]] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-${label}.png`) });
  }
};

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  llm = await startFakeLlm();
  scriptSideCalls(llm, (r) => {
    const text = JSON.stringify(r.body.messages.at(-1)?.content ?? "");
    if (text.includes("stream please")) return { text: STREAMED, chunkSize: 6, chunkDelayMs: 80 };
    // "run the tool": exec (policy ask, the default) waits for the inbox; then the model reports the result
    if (text.includes("run the tool")) return { toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "echo web-ran" }) }] };
    const last = r.body.messages.at(-1);
    if (last?.role === "tool") return { text: `Exec said: ${String(last.content).trim()}` };
    if (text.includes("a long one")) return { text: "This reply never ends because the model stalls right", chunkSize: 8, stallAfterChunks: 3 };
    return undefined;
  });
  const { dir } = await initAgent({
    llmUrl: llm.url,
    edit: (cfg) => {
      cfg.tools = { ...cfg.tools, exec: { enabled: true, sandbox: existsSync("/usr/bin/bwrap") ? "bwrap" : "none", timeoutMs: 10_000 } };
    },
  });
  root = join(dir, "..");
  writeFileSync(join(dir, "vault", "Alpha.md"), "# Alpha\n\nAlpha links to [[Beta]] and has a table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n");
  writeFileSync(join(dir, "vault", "Beta.md"), "# Beta\n\nBeta body.\n");
  d = await startDaemon(dir);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on("pageerror", (e) => console.log("[pageerror]", e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  evil?.close();
  await d?.kill();
  await llm?.close();
  if (root) cleanup(root);
});

describe("the web app in Chromium", () => {
  it("signs in with the one-time link of `agentd open`, which cannot be used twice", async () => {
    const r = await runCli(["open", d.dir, "--no-browser"]);
    expect(r.code, r.stderr).toBe(0);
    const link = /http:\/\/127\.0\.0\.1:\d+\/#login=[\w-]+/.exec(r.stdout)?.[0];
    expect(link).toBeTruthy();
    expect(link).not.toContain(d.token);
    await page.goto(link!);
    await page.getByRole("navigation", { name: "screens" }).waitFor();
    expect(page.url()).not.toContain("login=");
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: `agentd_session_${d.port}`, httpOnly: true, sameSite: "Strict" });
    expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).toBe("{}{}");
    // the code is spent: a second browser with the same link is asked for the token
    const other = await browser.newContext();
    const p2 = await other.newPage();
    await p2.goto(link!);
    await p2.getByText(/used or expired/).waitFor();
    // the token typed once into the page signs in too (and stays out of the URL and storage)
    await p2.getByLabel("token").fill(d.token);
    await p2.getByRole("button", { name: "Sign in" }).click();
    await p2.getByRole("navigation", { name: "screens" }).waitFor();
    expect(p2.url()).not.toContain(d.token);
    expect(await p2.evaluate(() => JSON.stringify(localStorage))).toBe("{}");
    await other.close();
  });

  it("streams a reply incrementally, aborts a long one, retries", async () => {
    await page.goto(`${d.url}/#/chat`);
    await page.getByLabel("message").fill("stream please");
    await page.getByLabel("message").press("Enter");
    const seen = new Set<string>();
    await waitFor(async () => {
      const t = await page.locator("[data-testid=streaming] .md").textContent().catch(() => null);
      if (t && t.trim() !== "…") seen.add(t.trim());
      return (await page.locator(".msg.assistant").filter({ hasText: "fifteen." }).count()) > 0 && (await page.locator("[data-testid=streaming]").count()) === 0;
    }, "the streamed reply to finish", 20_000, 10);
    const partials = [...seen].filter((t) => t.length < STREAMED.length);
    expect(partials.length).toBeGreaterThanOrEqual(2);
    for (const p of partials) expect(STREAMED.startsWith(p)).toBe(true);
    expect(page.url()).toMatch(/#\/chat\/\w+/);
    await shoot("chat");

    await page.getByLabel("message").fill("a long one");
    await page.getByLabel("message").press("Enter");
    await page.locator("[data-testid=streaming]").filter({ hasText: "This" }).waitFor();
    await page.getByRole("button", { name: "Abort" }).click();
    await page.locator(".msg.assistant .status").filter({ hasText: "aborted" }).waitFor();
    expect(await page.locator("[data-testid=streaming]").count()).toBe(0);
    await page.getByRole("button", { name: "Retry" }).waitFor();
  }, 40_000);

  it("starts a new session, renames it, switches back to the first one and deletes the new one", async () => {
    const first = page.url();
    await page.getByRole("link", { name: "new session" }).click();
    await page.getByLabel("message").fill("hello from session two");
    await page.getByLabel("message").press("Enter");
    await page.locator(".msg.assistant").filter({ hasText: "You said: hello from session two" }).waitFor();
    expect(page.url()).not.toBe(first);
    const list = page.getByRole("complementary", { name: "sessions" }).getByRole("link");
    await waitFor(async () => (await list.count()) >= 3, "both sessions in the list"); // New + 2 sessions
    const second = page.url().split("/").pop()!;
    await page.getByRole("button", { name: "Rename" }).click();
    await page.getByLabel("session title").fill("Second one");
    await page.getByLabel("session title").press("Enter");
    await page.locator("aside a", { hasText: "Second one" }).waitFor();
    await page.locator(`aside a[href="#/chat/${first.split("/").pop()}"]`).click();
    await page.locator(".msg.user").filter({ hasText: "stream please" }).waitFor();
    expect(await page.locator(".msg").filter({ hasText: "session two" }).count()).toBe(0);
    // delete the second one (after the browser's confirm)
    await page.locator(`aside a[href="#/chat/${second}"]`).click();
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Delete" }).click();
    await page.locator("aside a", { hasText: "Second one" }).waitFor({ state: "detached" });
    expect((await d.api(`/api/sessions/${second}/messages`)).status).toBe(404);
  }, 30_000);

  it("opens a note, follows a wikilink, edits and saves it to disk", async () => {
    await page.goto(`${d.url}/#/vault/Alpha.md`);
    await page.getByRole("heading", { name: "Alpha", level: 2 }).waitFor();
    expect(await page.locator(".md table").count()).toBe(1);
    await page.locator("a.wikilink", { hasText: "Beta" }).click();
    await page.getByRole("heading", { name: "Beta", level: 2 }).waitFor();
    await page.locator(".backlinks a", { hasText: "Alpha" }).waitFor();
    await shoot("vault");
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByLabel("note text").fill("# Beta\n\nEdited in the browser.\n");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    await waitFor(() => readFileSync(join(d.dir, "vault", "Beta.md"), "utf8").includes("Edited in the browser."), "the edit on disk");
  }, 30_000);

  it("shows a bad config value's error at its key and leaves agentd.yaml untouched", async () => {
    const before = readFileSync(join(d.dir, "agentd.yaml"), "utf8");
    await page.goto(`${d.url}/#/status`);
    await page.getByText("No supervised bridges").waitFor(); // bridges.list over the WebSocket
    await page.getByText(/Model: main/).waitFor();
    const port = page.locator('[data-key="server.port"] input');
    await port.fill("-5");
    await port.press("Tab");
    await page.getByRole("button", { name: "Save config" }).click();
    const err = page.locator('[data-key="server.port"] .field-error');
    await err.waitFor();
    expect(await err.textContent()).toMatch(/server\.port|>=|greater|too small/i);
    expect(readFileSync(join(d.dir, "agentd.yaml"), "utf8")).toBe(before);
    await shoot("status");
  }, 30_000);

  it("creates a schedule, runs it now and pauses it", async () => {
    await page.goto(`${d.url}/#/schedules`);
    await page.getByLabel("name").fill("morning");
    await page.getByLabel("cron expression, or seconds").fill("0 8 * * *");
    await page.getByLabel("prompt").fill("Say good morning");
    await page.getByRole("button", { name: "Create" }).click();
    const row = page.locator("tr", { hasText: "morning" });
    await row.waitFor();
    await row.getByRole("button", { name: "Run now" }).click();
    await page.getByRole("status").filter({ hasText: "Fired." }).waitFor();
    await row.getByRole("button", { name: "Pause" }).click();
    await row.getByText("paused").waitFor();
    const list = (await (await d.api("/api/schedules")).json()) as { schedules: Array<{ name: string; enabled: boolean }> };
    expect(list.schedules.find((s) => s.name === "morning")?.enabled).toBe(false);
    await shoot("schedules");
  }, 30_000);

  it("shows this month's tokens per session, most first, as GET /api/usage counts them", async () => {
    const summary = (await (await d.api("/api/usage")).json()) as { sessions: Array<{ sessionId: string; title: string | null; promptTokens: number; completionTokens: number }> };
    expect(summary.sessions.length).toBeGreaterThan(0);
    const top = summary.sessions[0]!;
    await page.goto(`${d.url}/#/usage`);
    await page.getByRole("heading", { name: "Per session" }).waitFor();
    const row = page.getByRole("row").filter({ hasText: top.title ?? top.sessionId }).first();
    await row.waitFor();
    expect(await row.textContent()).toContain(`${(top.promptTokens + top.completionTokens).toLocaleString("en-US")} tok`);
    await shoot("usage");
  }, 30_000);

  it("answers an approval request in the inbox: Approve lets the waiting run finish with its reply", async () => {
    await page.goto(`${d.url}/#/chat`);
    await page.getByLabel("message").fill("run the tool please");
    await page.getByLabel("message").press("Enter");
    await waitFor(() => page.url().match(/#\/chat\/\w+/), "the run's session in the address");
    const chatUrl = page.url();
    // the chat says the run waits, and links to the inbox
    await page.locator("[data-testid=streaming]").getByRole("link", { name: "Approvals" }).click();
    const item = page.locator(".approval", { hasText: "echo web-ran" });
    await item.waitFor({ timeout: 20_000 });
    await shoot("approvals");
    await item.getByRole("button", { name: "Approve once" }).click();
    await item.waitFor({ state: "detached" });
    await page.getByRole("status").filter({ hasText: "approved" }).waitFor();
    await page.goto(chatUrl);
    await page.locator(".msg.assistant:not(.streaming)").filter({ hasText: /Exec said: exit code 0\s+web-ran/ }).waitFor({ timeout: 20_000 });
    const answered = (await (await d.api("/api/approvals?state=approved")).json()) as { approvals: Array<{ subject: string; decision: string }> };
    expect(answered.approvals.find((a) => a.subject === "echo web-ran")?.decision).toBe("approve");
  }, 40_000);

  it("drops an image on the composer: a chip before sending, the image part in the model's request, the chip in history", async () => {
    await page.goto(`${d.url}/#/chat`);
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#3a7" } }).png().toBuffer();
    // a real drop: a DataTransfer holding the file, dispatched on the composer as the browser does for a drag from the desktop
    const transfer = await page.evaluateHandle((b64) => {
      // the browser's DataTransfer (the test's tsconfig has no DOM types)
      const dt = new (globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } }).DataTransfer();
      dt.items.add(new File([Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0))], "green.png", { type: "image/png" }));
      return dt;
    }, png.toString("base64"));
    await page.locator("form.composer").dispatchEvent("drop", { dataTransfer: transfer });
    const chip = page.locator(".conversation > .row .chip", { hasText: "green.png" });
    await chip.waitFor();
    expect(await chip.textContent()).toContain("image/png");
    const before = llm.requests.length;
    await page.getByLabel("message").fill("what is in this picture");
    await page.getByLabel("message").press("Enter");
    await page.locator(".msg.assistant:not(.streaming)").filter({ hasText: "what is in this picture" }).waitFor({ timeout: 20_000 });
    const sent = llm.requests.slice(before).find((r) => r.body.stream === true && JSON.stringify(r.body).includes("what is in this picture"));
    const parts = sent!.body.messages.at(-1).content as Array<{ type: string; image_url?: { url: string } }>;
    expect(parts.find((p) => p.type === "image_url")?.image_url?.url).toMatch(/^data:image\/(png|jpeg);base64,/);
    expect(await page.locator(".conversation > .row .chip").count()).toBe(0); // sent: the composer is empty again
    await page.reload();
    await page.locator(".msg.user .chip", { hasText: "green.png" }).waitFor(); // from chat.history's Message.attachments
    await shoot("attachments");
  }, 40_000);

  it("a page from another origin cannot open the WebSocket or use the cookie", async () => {
    evil = createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end("<!doctype html><title>evil</title>");
    });
    await new Promise<void>((r) => evil.listen(0, "127.0.0.1", r));
    const evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}/`;
    const before = ((await (await d.api("/api/sessions")).json()) as { sessions: unknown[] }).sessions.length;
    const evilPage = await context.newPage(); // same browser, signed in: the cookie is there (127.0.0.1 is one site)
    await evilPage.goto(evilUrl);
    const outcome = await evilPage.evaluate(async (port) => {
      const ws = await new Promise<string>((resolve) => {
        const s = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        s.onopen = () => resolve("open");
        s.onerror = () => resolve("refused");
      });
      await fetch(`http://127.0.0.1:${port}/api/sessions`, { method: "POST", mode: "no-cors", credentials: "include", body: "{}" }).catch(() => undefined);
      return ws;
    }, d.port);
    expect(outcome).toBe("refused");
    const after = ((await (await d.api("/api/sessions")).json()) as { sessions: unknown[] }).sessions.length;
    expect(after).toBe(before);
    // and directly: the cookie with a foreign Origin is refused by REST and by the upgrade
    const [cookie] = await context.cookies();
    const res = await fetch(`${d.url}/api/sessions`, { headers: { cookie: `${cookie!.name}=${cookie!.value}`, origin: evilUrl.slice(0, -1) } });
    expect(res.status).toBe(401);
    const same = await fetch(`${d.url}/api/sessions`, { headers: { cookie: `${cookie!.name}=${cookie!.value}`, origin: d.url } });
    expect(same.status).toBe(200);
    await evilPage.close();
  }, 20_000);
});
