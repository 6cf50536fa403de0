import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import type { IndexDb } from "./index-db.js";
import { Vault, type VaultOptions } from "./vault.js";

/** The fixture vault of issue 4 (read-only: tests copy it first). */
export const FIXTURE_VAULT = fileURLToPath(new URL("../../tests/fixtures/vault", import.meta.url));

/**
 * Test helper: copies the fixture vault (or nothing, with `empty: true`) to a fresh temp dir and starts a
 * {@link Vault} on it with an index in the same temp dir. `cleanup()` stops it and removes the temp dir.
 */
export async function tempVault(opts: { empty?: boolean; watch?: boolean } & Partial<VaultOptions> = {}): Promise<{
  vault: Vault;
  base: string;
  dir: string;
  indexDbPath: string;
  cleanup: () => Promise<void>;
}> {
  const base = mkdtempSync(join(tmpdir(), "agentd-vault-"));
  const dir = join(base, "vault");
  if (!opts.empty) cpSync(FIXTURE_VAULT, dir, { recursive: true });
  const indexDbPath = join(base, "vault-index.db");
  const vault = new Vault({ logger: pino({ level: "silent" }), ...opts, dir, indexDbPath, watch: opts.watch ?? false });
  await vault.start();
  await vault.ready();
  return {
    vault,
    base,
    dir,
    indexDbPath,
    cleanup: async () => {
      await vault.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Polls `check` every 10 ms until it returns true or `timeoutMs` (default 1000) passes; returns the elapsed ms. */
export async function waitFor(check: () => boolean, timeoutMs = 1000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    let ok = false;
    try {
      ok = check();
    } catch {
      ok = false;
    }
    if (ok) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * The number of FTS5 segments, from the structure record (`%_data` row 10; layout in SQLite's fts5_index.c,
 * fts5StructureDecode: a 4-byte cookie, an optional 4-byte V2 marker, then varints nLevel and nSegment).
 */
export function ftsSegments(index: IndexDb): number {
  const blob = index.db.prepare("SELECT block FROM notes_fts_data WHERE id = 10").pluck().get() as Buffer;
  let i = 4;
  if (blob[i] === 0xff && blob[i + 1] === 0 && blob[i + 2] === 0 && blob[i + 3] === 1) i += 4;
  const varint = (): number => {
    let v = 0;
    for (;;) {
      const b = blob[i++]!;
      v = v * 128 + (b & 0x7f);
      if (b < 0x80) return v;
    }
  };
  varint(); // nLevel
  return varint();
}
