import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { NotFoundError, StorageError } from "../errors.js";
import { snapshotDatabase } from "../store/snapshot.js";
import { VERSION } from "../version.js";
import { BACKUP_FORMAT_VERSION, MANIFEST_FILE, type BackupManifest } from "./manifest.js";

/** The database file of an agent folder. */
export const DB_FILE = "agentd.db";
/** What a backup holds besides the database, relative to the agent folder (missing ones are skipped). */
export const BACKUP_PATHS = ["agentd.yaml", "SOUL.md", "USER.md", "MEMORY.md", "vault", "uploads"] as const;
/** Secrets, only with `--include-secrets`: the token and keys, and the WhatsApp linked-device login. */
export const SECRET_PATHS = [".env", "whatsapp-auth"] as const;

/** Options of {@link createBackup}. */
export interface BackupOptions {
  /** The archive to write (`.tar.gz`); its folder is created. */
  outFile: string;
  includeSecrets?: boolean;
  /** An open connection to copy the database from (the daemon's own: its writes never restart the copy). */
  sqlite?: Parameters<typeof snapshotDatabase>[2];
  /** Folders (absolute) never put into the archive, e.g. the scheduled backups' folder. */
  exclude?: string[];
}

/** What {@link createBackup} wrote: the archive, its size in bytes and its manifest. */
export interface BackupResult {
  file: string;
  bytes: number;
  manifest: BackupManifest;
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** Every regular file under `root` (recursively), as absolute paths; symbolic links are skipped. */
function walk(root: string, exclude: string[]): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    if (exclude.some((e) => p === e || p.startsWith(e + sep))) return;
    const st = lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const n of readdirSync(p).sort()) visit(join(p, n));
    else if (st.isFile()) out.push(p);
  };
  visit(root);
  return out;
}

/** The agent's name from agentd.yaml (`name:`), without validating the rest; the folder's name when there is none. */
function agentName(dir: string): string {
  try {
    const m = /^name:\s*["']?([^"'\s#]+)/m.exec(readFileSync(join(dir, "agentd.yaml"), "utf8"));
    if (m?.[1]) return m[1];
  } catch {
    /* no config */
  }
  return basename(dir);
}

/**
 * Writes one `.tar.gz` of an agent folder (gzip, via the `tar` package): a consistent snapshot of `agentd.db`
 * (SQLite's online backup API, see `snapshotDatabase` in src/store/snapshot.ts), agentd.yaml, SOUL/USER/MEMORY.md,
 * `vault/` and `uploads/`; `.env` and `whatsapp-auth/` only with `includeSecrets`; and `manifest.json`
 * ({@link BackupManifest}) listing each file with its SHA-256. Derived or passing files (logs, `vault-index.db`,
 * `.port`, the lock) and symbolic links are left out. Works whether the daemon runs or not. The archive is written
 * in a private (0700) folder beside `outFile` and renamed into place once complete, with mode 0600.
 * Throws `NotFoundError` when DIR holds no agentd.yaml, {@link StorageError} when the database cannot be copied or
 * the archive not written.
 */
export async function createBackup(dirArg: string, opts: BackupOptions): Promise<BackupResult> {
  const dir = resolve(dirArg);
  if (!existsSync(join(dir, "agentd.yaml"))) throw new NotFoundError(`${dir} holds no agent (no agentd.yaml)`);
  const outFile = resolve(opts.outFile);
  mkdirSync(dirname(outFile), { recursive: true });
  const staging = mkdtempSync(join(dirname(outFile), ".agentd-backup-"));
  try {
    let database: BackupManifest["database"];
    if (existsSync(join(dir, DB_FILE))) database = { file: DB_FILE, ...(await snapshotDatabase(join(dir, DB_FILE), join(staging, DB_FILE), opts.sqlite)) };
    const exclude = [...(opts.exclude ?? []).map((e) => resolve(e)), staging, outFile];
    for (const p of [...BACKUP_PATHS, ...(opts.includeSecrets ? SECRET_PATHS : [])]) {
      const from = join(dir, p);
      if (!existsSync(from)) continue;
      const keep = (src: string) => !exclude.some((e) => src === e || src.startsWith(e + sep)) && lstatSync(src).isSymbolicLink() === false;
      if (keep(from)) cpSync(from, join(staging, p), { recursive: true, filter: keep });
    }
    const files = walk(staging, []).map((f) => ({ path: relative(staging, f).split(sep).join("/"), bytes: statSync(f).size, sha256: sha256(f) }));
    const manifest: BackupManifest = {
      format: "agentd-backup", formatVersion: BACKUP_FORMAT_VERSION, agentdVersion: VERSION, createdAt: new Date().toISOString(),
      agent: agentName(dir), includesSecrets: opts.includeSecrets === true, ...(database ? { database } : {}), files,
    };
    writeFileSync(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    const tmp = join(staging, ".archive.tar.gz");
    const tar = await import("tar");
    await tar.c({ gzip: true, file: tmp, cwd: staging, portable: true }, [MANIFEST_FILE, ...files.map((f) => f.path)]);
    chmodSync(tmp, 0o600);
    renameSync(tmp, outFile);
    return { file: outFile, bytes: statSync(outFile).size, manifest };
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError(`cannot write the backup ${outFile}: ${(err as Error).message}`, err);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The default archive name: `<agent>-<UTC time>.tar.gz`, e.g. `my-agent-20260131T120000Z.tar.gz`. */
export function backupFileName(agent: string, at = new Date()): string {
  return `${agent}-${at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}.tar.gz`;
}
