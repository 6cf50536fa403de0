import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { AgentdError, ConflictError, StorageError, ValidationError } from "../errors.js";
import { lockPid, probeAgent } from "../lifecycle/probe.js";
import { pidAlive } from "../lifecycle/lock.js";
import { quickCheck } from "../store/snapshot.js";
import { DB_FILE } from "./archive.js";
import { BACKUP_FORMAT_VERSION, BackupManifest, MANIFEST_FILE } from "./manifest.js";

/** Files next to the database that belong to it (WAL, shared memory) or are derived from the folder (vault index). */
const DERIVED = ["agentd.db-wal", "agentd.db-shm", "vault-index.db", "vault-index.db-wal", "vault-index.db-shm"];

/** Options of {@link restoreBackup}: `force` replaces an existing agent's files (moved aside, never deleted). */
export interface RestoreOptions {
  force?: boolean;
}

/** What {@link restoreBackup} did: the folder, the manifest, and where replaced files were moved (with `force`). */
export interface RestoreResult {
  dir: string;
  manifest: BackupManifest;
  movedAsideTo?: string;
}

/**
 * Unpacks a backup made by `agentd backup` into `DIR`. Refuses (ConflictError) while an agent runs on the folder
 * (its lock is held by a live process or `.port` answers). The archive is unpacked beside the folder first and
 * checked: `manifest.json` must be an agentd backup of a known format, list every file the archive holds, every file must match its SHA-256, and the
 * database must pass `PRAGMA quick_check`; nothing in `DIR` changes before that. A folder that already holds an
 * agent (agentd.yaml or agentd.db) is refused unless `force`; then every path the backup restores, plus the
 * database's WAL files and the vault index (rebuilt at start), is moved to `DIR.pre-restore-<time>/`.
 * Throws ValidationError for an archive that is not a valid backup, StorageError when unpacking fails.
 */
export async function restoreBackup(file: string, dirArg: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const dir = resolve(dirArg);
  const archive = resolve(file);
  if (!existsSync(archive)) throw new AgentdError("not_found", `no backup file ${archive}`);
  const probe = await probeAgent(dir);
  const pid = lockPid(dir);
  if (probe.state === "running" || probe.state === "starting" || probe.state === "unresponsive" || (pid !== undefined && pidAlive(pid))) {
    throw new ConflictError(`an agent is running in ${dir}${probe.pid ?? pid ? ` (pid ${probe.pid ?? pid})` : ""}: stop it first (agentd stop ${dirArg})`);
  }
  const holdsAgent = existsSync(join(dir, "agentd.yaml")) || existsSync(join(dir, DB_FILE));
  if (holdsAgent && !opts.force) throw new ConflictError(`${dir} already holds an agent: restore into an empty folder, or pass --force to replace it (its files are moved aside, not deleted)`);
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}.restore-`);
  try {
    const tar = await import("tar");
    try {
      await tar.x({ file: archive, cwd: staging, strict: true, preservePaths: false });
    } catch (err) {
      throw new ValidationError(`${archive} is not a readable .tar.gz: ${(err as Error).message}`);
    }
    let manifest: BackupManifest;
    try {
      manifest = BackupManifest.parse(JSON.parse(readFileSync(join(staging, MANIFEST_FILE), "utf8")));
    } catch {
      throw new ValidationError(`${archive} is not an agentd backup (no valid ${MANIFEST_FILE})`);
    }
    if (manifest.formatVersion > BACKUP_FORMAT_VERSION) throw new ValidationError(`${archive} was written by agentd ${manifest.agentdVersion} (format ${manifest.formatVersion}); this agentd reads format ${BACKUP_FORMAT_VERSION}: update agentd`);
    const listed = new Set([MANIFEST_FILE, ...manifest.files.map((f) => f.path)]);
    const extra = (readdirSync(staging, { recursive: true, withFileTypes: true }) as import("node:fs").Dirent[])
      .filter((e) => !e.isDirectory())
      .map((e) => relative(staging, join(e.parentPath, e.name)).split(sep).join("/"))
      .filter((p) => !listed.has(p));
    if (extra.length > 0) throw new ValidationError(`${archive} holds files its manifest does not list (${extra.slice(0, 3).join(", ")}): not restored`);
    for (const f of manifest.files) {
      const p = join(staging, ...f.path.split("/"));
      const sum = existsSync(p) ? createHash("sha256").update(readFileSync(p)).digest("hex") : "missing";
      if (sum !== f.sha256) throw new ValidationError(`${archive} is damaged: ${f.path} does not match its checksum`);
    }
    if (existsSync(join(staging, DB_FILE))) {
      const check = quickCheck(join(staging, DB_FILE));
      if (check !== "ok") throw new ValidationError(`${archive}: the database fails its integrity check: ${check}`);
    }
    mkdirSync(dir, { recursive: true });
    const top = readdirSync(staging).filter((n) => n !== MANIFEST_FILE);
    let movedAsideTo: string | undefined;
    const replaced = [...top, ...DERIVED].filter((n) => existsSync(join(dir, n)));
    if (replaced.length > 0) {
      movedAsideTo = `${dir}.pre-restore-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`;
      mkdirSync(movedAsideTo, { recursive: true });
      for (const n of replaced) renameSync(join(dir, n), join(movedAsideTo, n));
    }
    for (const n of top) renameSync(join(staging, n), join(dir, n));
    if (existsSync(join(dir, ".env"))) chmodSync(join(dir, ".env"), 0o600);
    return { dir, manifest, ...(movedAsideTo ? { movedAsideTo } : {}) };
  } catch (err) {
    if (err instanceof AgentdError) throw err;
    throw new StorageError(`cannot restore ${archive} into ${dir}: ${(err as Error).message}`, err);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
