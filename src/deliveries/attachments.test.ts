import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kindOfMime, resolveAttachment, writeGeneratedFile } from "./attachments.js";

const dirs: string[] = [];
function agentDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "agentd-att-"));
  dirs.push(dir);
  for (const d of ["vault/docs", "uploads", "workspace"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "agentd.yaml"), "secret: yes\n");
  writeFileSync(join(dir, "vault/docs/photo.jpg"), "jpg");
  return dir;
}
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("resolveAttachment", () => {
  it("takes vault paths with or without vault/, with type, size and kind", async () => {
    const dir = agentDir();
    const want = { path: "vault/docs/photo.jpg", name: "photo.jpg", mime: "image/jpeg", bytes: 3, kind: "image" };
    expect(await resolveAttachment(dir, "docs/photo.jpg")).toEqual(want);
    expect(await resolveAttachment(dir, "vault/docs/photo.jpg")).toEqual(want);
  });

  it("refuses absolute paths, .. segments, and symlinks leading out of the sendable folders", async () => {
    const dir = agentDir();
    symlinkSync(join(dir, "agentd.yaml"), join(dir, "workspace/config.yaml"));
    await expect(resolveAttachment(dir, join(dir, "agentd.yaml"))).rejects.toThrow(/must be relative/);
    await expect(resolveAttachment(dir, "uploads/../agentd.yaml")).rejects.toThrow(/must be relative/);
    await expect(resolveAttachment(dir, "workspace/config.yaml")).rejects.toThrow(/outside vault\/, uploads\/ and workspace\//);
    await expect(resolveAttachment(dir, "docs")).rejects.toThrow(/not a file/);
    writeFileSync(join(dir, "workspace/.env"), "KEY=1");
    await expect(resolveAttachment(dir, "workspace/.env")).rejects.toThrow(/hidden/);
    await expect(resolveAttachment(dir, "docs/missing.pdf")).rejects.toThrow(/no file vault\/docs\/missing\.pdf/);
  });

  it("writes generated content under uploads/ with a safe name", async () => {
    const dir = agentDir();
    const a = await writeGeneratedFile(dir, "../../evil name?.md", "# hi");
    expect(a).toMatchObject({ name: "evil name_.md", mime: "text/markdown", bytes: 4, kind: "document" });
    expect(a.path).toMatch(/^uploads\/\d+-[0-9a-f]{8}-evil name_\.md$/);
    expect(readFileSync(join(dir, a.path), "utf8")).toBe("# hi");
    await expect(writeGeneratedFile(dir, "..", "x")).rejects.toThrow(/a file name is needed/);
  });

  it("maps MIME types to how chats show them", () => {
    expect([kindOfMime("image/png"), kindOfMime("image/svg+xml"), kindOfMime("audio/mpeg"), kindOfMime("audio/ogg", true), kindOfMime("video/mp4"), kindOfMime("application/pdf")])
      .toEqual(["image", "document", "audio", "voice", "video", "document"]);
  });
});
