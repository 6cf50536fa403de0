import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../errors.js";
import { normalizeRelPath } from "./paths.js";
import { tempVault } from "./test-support.js";
import type { Vault } from "./vault.js";

let vault: Vault;
let base: string;
let cleanup: () => Promise<void>;

/** Every file under `root` (index files excluded) with its bytes, to prove nothing changed. */
function snapshot(root: string, rel = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (p.startsWith("vault-index.db")) continue;
    if (e.isSymbolicLink()) out[p] = "symlink";
    else if (e.isDirectory()) Object.assign(out, snapshot(root, p));
    else out[p] = `${readFileSync(join(root, p), "base64")}@${statSync(join(root, p)).mtimeMs}`;
  }
  return out;
}

beforeAll(async () => {
  ({ vault, base, cleanup } = await tempVault());
  mkdirSync(join(base, "outside"));
  writeFileSync(join(base, "outside", "secret.md"), "secret\n");
  symlinkSync(join(base, "outside"), join(base, "vault", "escape"));
  symlinkSync(join(base, "outside", "secret.md"), join(base, "vault", "leak.md"));
  symlinkSync(join(base, "vault", ".obsidian"), join(base, "vault", "sneaky"));
  symlinkSync(join(base, "outside", "nothing-here"), join(base, "vault", "dangling.md"));
  mkdirSync(join(base, "vault", "Inner"));
  writeFileSync(join(base, "vault", "Inner", "Note.md"), "inner\n");
  symlinkSync("Inner", join(base, "vault", "inner-alias"));
  symlinkSync("Inner/Note.md", join(base, "vault", "note-alias.md"));
  symlinkSync("..", join(base, "vault", "up"));
});
afterAll(async () => cleanup());

const ESCAPES: [string, string][] = [
  ["../outside/secret.md", "'..'"],
  ["Projects/../../outside/secret.md", "'..'"],
  ["..", "'..'"],
  ["/etc/passwd.md", "absolute"],
  ["C:/Windows/x.md", "absolute"],
  ["..\\outside\\secret.md", "backslash"],
  ["%2e%2e%2foutside/secret.md", "URL-encoded"],
  ["%2E%2E/secret.md", "URL-encoded"],
  [".obsidian/app.md", "hidden"],
  [".trash/Old.md", "hidden"],
  ["Projects/.hidden.md", "hidden"],
  ["escape/secret.md", "outside the vault through a symlink"],
  ["escape/new.md", "outside the vault through a symlink"],
  ["leak.md", "outside the vault through a symlink"],
  ["sneaky/workspace.md", "hidden folder through a symlink"],
  ["dangling.md", "points nowhere"],
  ["inner-alias/Note.md", "goes through a symlink"],
  ["inner-alias/New.md", "goes through a symlink"],
  ["note-alias.md", "goes through a symlink"],
  ["up/vault/Inner/Note.md", "goes through a symlink"],
  ["Home.txt", "must end in .md"],
  ["Projects", "must end in .md"],
  ["", "empty note path"],
  ["a\u0000b.md", "control characters"],
];

describe("path escapes", () => {
  it.each(ESCAPES)("%s is refused (%s) by read, write and delete, and nothing changes on disk", (path, reason) => {
    const before = snapshot(base);
    for (const op of [
      () => vault.read(path),
      () => vault.write(path, { content: "pwned\n" }),
      () => vault.write(path, { frontmatter: { a: 1 } }),
      () => vault.delete(path),
    ]) {
      let err: unknown;
      try {
        op();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toContain(reason);
    }
    expect(snapshot(base)).toEqual(before);
  });

  it("refuses escaping folders in list", () => {
    for (const folder of ["..", "/tmp", ".obsidian", "escape", "sneaky", "a/../.."]) {
      expect(() => vault.list({ folder })).toThrow(ValidationError);
    }
  });

  it("never indexes symlinked or hidden notes", () => {
    const paths = vault.list().notes.map((n) => n.path);
    expect(paths.some((p) => p.startsWith(".") || p.startsWith("escape") || p === "leak.md")).toBe(false);
  });

  it("refuses a name over 255 UTF-8 bytes as bad input, however the folder looks on disk", () => {
    const long = "é".repeat(128); // 128 characters, 256 bytes
    expect(() => normalizeRelPath(`a/${long}/b.md`, "note")).toThrow(ValidationError);
    expect(() => normalizeRelPath(`${"x".repeat(252)}.md`, "note")).not.toThrow(); // 255 bytes
    expect(() => normalizeRelPath(`${"x".repeat(253)}.md`, "note")).toThrow(/longer than 255 bytes/);
  });

  it("normalises harmless spellings", () => {
    expect(normalizeRelPath("./Projects//Plan.md", "note")).toBe("Projects/Plan.md");
    expect(normalizeRelPath("Projects/", "folder")).toBe("Projects");
    expect(normalizeRelPath("", "folder")).toBe("");
  });
});
