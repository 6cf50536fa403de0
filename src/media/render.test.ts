import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MessageRow } from "../store/store.js";
import type { Attachment } from "../../protocol/chat.js";
import { prepareMedia, withoutImages, type MediaOptions } from "./render.js";

const dir = mkdtempSync(join(tmpdir(), "agentd-render-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const photo = { path: "uploads/p.png", filename: "p.png", mime: "image/png", bytes: 0 };
const notes = { path: "uploads/n.md", filename: "n.md", mime: "text/markdown", bytes: 5000 };
beforeAll(async () => {
  mkdirSync(join(dir, "uploads"));
  const png = await sharp({ create: { width: 1024, height: 1024, channels: 3, background: "#fff" } }).png().toBuffer();
  writeFileSync(join(dir, photo.path), png);
  photo.bytes = png.length;
  writeFileSync(join(dir, notes.path), "n".repeat(5000));
});

let n = 0;
const row = (content: string, files?: Attachment[]): MessageRow => ({
  id: `m_${String(++n).padStart(4, "0")}`, sessionId: "s", runId: null, role: "user", content, toolCalls: null, toolCallId: null, status: "ok",
  error: null, model: null, channel: null, attachments: files ?? null, compactedBy: null, createdAt: n,
});
const opts = (o: Partial<MediaOptions>): MediaOptions => ({ dir, vision: true, describer: false, recentTurns: 3, inlineMaxChars: 20_000, budgetTokens: 100_000, ...o });

describe("prepareMedia", () => {
  it("spends the media budget newest first: an older image over what is left gets a line, not bytes", async () => {
    const older = row("first", [photo]);
    const newer = row("second", [photo]);
    const media = await prepareMedia([older, newer], opts({ budgetTokens: 1000 })); // one 1024px image costs 765
    expect(Array.isArray(media.get(newer.id))).toBe(true);
    expect(media.get(older.id)).toMatch(/^first\n\[file p\.png: image\/png, \d+ KB, uploads\/p\.png; not shown: over this model's media budget \(mediaTokens\)\]$/);
  });

  it("points a model without vision at describe_image when a vision model is configured; clips documents", async () => {
    const r = row("look", [photo, notes]);
    const media = await prepareMedia([r], opts({ vision: false, describer: true, inlineMaxChars: 1000 }));
    const text = media.get(r.id) as string;
    expect(text).toContain("[file p.png: image/png");
    expect(text).toContain("this model cannot see images; describe_image describes it]");
    expect(text).toContain(`${"n".repeat(1000)}\n[… 4,000 more characters: attachment_read with path "uploads/n.md" and offset 1000]`);
    expect(text).not.toContain("base64");
  });

  it("leaves turns before the recent window to their one-line mention", async () => {
    const rows = [row("old", [photo]), row("a"), row("b"), row("c")];
    expect((await prepareMedia(rows, opts({}))).size).toBe(0);
  });
});

describe("withoutImages", () => {
  it("turns image parts into one line for a fallback model without vision", () => {
    const out = withoutImages([{ role: "user", content: [{ type: "text", text: "see" }, { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } }] }]);
    expect(out).toEqual([{ role: "user", content: "see\n[1 image(s) above not shown: this model cannot see images]" }]);
  });
});
