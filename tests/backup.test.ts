import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tar from "tar";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { ROOT, cleanup, initAgent, runCli, startDaemon, tempDir, waitFor, type RunningDaemon } from "./support/daemon.js";

// Backups (issue 19): `agentd backup` while clients keep writing restores to an agent whose sessions are those of
// one moment between the start and the end of the backup; `agentd restore` refuses a running agent; scheduled
// backups keep N; the database meets Litestream's requirements.

/** Concurrent writing clients during the backup (the issue says 200; 30 keeps this test within seconds on 2 cores). */
const CLIENTS = 30;

/** Message ids by session id, read straight from a database file. */
function messagesBySession(file: string): Map<string, string[]> {
  const db = new Database(file, { readonly: true });
  try {
    const out = new Map<string, string[]>();
    for (const s of db.prepare("SELECT id FROM sessions").pluck().all() as string[]) out.set(s, []);
    for (const r of db.prepare("SELECT session_id AS s, id FROM messages ORDER BY id").all() as Array<{ s: string; id: string }>) out.get(r.s)?.push(r.id);
    return out;
  } finally {
    db.close();
  }
}

let llm: FakeLlm;
let root: string;
let d: RunningDaemon;
beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url, edit: (cfg) => (cfg.models.main.model = "test-model") });
  root = join(dir, "..");
  writeFileSync(join(dir, "vault", "Plans.md"), "# Plans\n- backup drill\n");
  d = await startDaemon(dir);
});
afterAll(async () => {
  await d?.stop();
  await llm?.close();
  if (root) cleanup(root);
});

describe("agentd backup during a load run", () => {
  it("restores to an agent whose sessions match one moment of the backup", async () => {
    let stop = false;
    let turns = 0;
    let ready = 0;
    const client = async (i: number) => {
      const { session } = (await (await d.api("/api/sessions", { method: "POST", body: "{}" })).json()) as { session: { id: string } };
      ready++;
      for (let n = 0; !stop; n++) {
        const r = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: `client ${i} turn ${n}`, sessionId: session.id }) });
        expect(r.status).toBe(200);
        turns++;
      }
    };
    const load = Array.from({ length: CLIENTS }, (_, i) => client(i));
    await waitFor(() => ready === CLIENTS && turns >= CLIENTS * 2, "every client's session and the load to be under way", 30_000);
    const db = join(d.dir, "agentd.db");
    const before = messagesBySession(db);
    const out = join(root, "during-load.tar.gz");
    const turnsBefore = turns;
    const t0 = Date.now();
    const b = await runCli(["backup", d.dir, "--out", out], { timeoutMs: 60_000 });
    const backupMs = Date.now() - t0;
    const after = messagesBySession(db);
    const turnsDuring = turns;
    stop = true;
    await Promise.all(load);
    expect(b.stderr).toBe("");
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/during-load\.tar\.gz {2}[\d.]+ MB, \d+ files, \d+ sessions, \d+ messages, without secrets/);

    // restore into a new folder and compare with the live database around the backup
    const target = join(root, "restored");
    const r = await runCli(["restore", out, target]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`into ${target}`);
    const restored = messagesBySession(join(target, "agentd.db"));
    expect(restored.size).toBeGreaterThanOrEqual(before.size);
    expect(restored.size).toBeLessThanOrEqual(after.size);
    let restoredMessages = 0;
    for (const [session, ids] of restored) {
      const live = after.get(session);
      expect(live, `session ${session} exists live`).toBeDefined();
      // every session holds what it held before the backup began, and no more than after it ended, in order
      expect(ids.length).toBeGreaterThanOrEqual(before.get(session)?.length ?? 0);
      expect(ids).toEqual(live!.slice(0, ids.length));
      restoredMessages += ids.length;
    }
    expect(restoredMessages).toBeGreaterThan(0);
    expect(restored.size).toBe(CLIENTS); // one session per client: each chat went to its client's session
    expect(Math.max(...[...restored.values()].map((ids) => ids.length))).toBeGreaterThanOrEqual(4); // several turns
    process.stdout.write(`backup under load: ${CLIENTS} clients, ${turnsDuring - turnsBefore} turns completed during the ${backupMs} ms of agentd backup (CLI start included); restored ${restored.size} sessions / ${restoredMessages} messages (live before: ${before.size} sessions, after: ${after.size})\n`);
    expect(turnsDuring).toBeGreaterThan(CLIENTS * 2);
    // what else it holds: config, prompts, vault; no secrets, logs, index or runtime files
    expect(readFileSync(join(target, "vault", "Plans.md"), "utf8")).toContain("backup drill");
    for (const f of ["agentd.yaml", "SOUL.md", "USER.md", "MEMORY.md"]) expect(existsSync(join(target, f))).toBe(true);
    for (const f of [".env", "logs", "vault-index.db", ".port", ".agentd.lock", "agentd.db-wal"]) expect(existsSync(join(target, f)), f).toBe(false);

    // the restored agent starts (with the keys put back, as restore tells the user) and serves the same sessions
    expect(r.stdout).toMatch(/the backup holds no secrets: put your keys and AGENTD_TOKEN into/);
    writeFileSync(join(target, ".env"), readFileSync(join(d.dir, ".env")), { mode: 0o600 });
    const restoredDaemon = await startDaemon(target);
    try {
      const list = (await (await restoredDaemon.api("/api/sessions?limit=1000")).json()) as { sessions: Array<{ id: string }> };
      expect(list.sessions.map((s) => s.id).sort()).toEqual([...restored.keys()].sort());
      // the archive's copy is one self-contained file; the daemon puts it back in WAL mode
      const check = new Database(join(target, "agentd.db"), { readonly: true });
      expect(check.pragma("journal_mode", { simple: true })).toBe("wal");
      check.close();
    } finally {
      await restoredDaemon.stop();
    }
  });

  it("holds .env only with --include-secrets, and a manifest with a checksum per file", async () => {
    const out = join(root, "with-secrets.tar.gz");
    expect((await runCli(["backup", d.dir, "--out", out, "--include-secrets", "--json"])).code).toBe(0);
    const names: string[] = [];
    await tar.t({ file: out, onReadEntry: (e) => names.push(e.path) });
    expect(names).toContain(".env");
    expect(names[0]).toBe("manifest.json");
    const x = tempDir();
    await tar.x({ file: out, cwd: x });
    const manifest = JSON.parse(readFileSync(join(x, "manifest.json"), "utf8")) as { includesSecrets: boolean; files: Array<{ path: string; sha256: string }>; database: { migrations: number } };
    expect(manifest.includesSecrets).toBe(true);
    expect(manifest.files.map((f) => f.path).sort()).toEqual(names.filter((n) => n !== "manifest.json").sort());
    expect(manifest.database.migrations).toBeGreaterThanOrEqual(2);
    cleanup(x);
    mkdirSync(x);
    // --out naming a folder: the default name inside it
    const inFolder = await runCli(["backup", d.dir, "--out", x]);
    expect(inFolder.code).toBe(0);
    expect(readdirSync(x)).toEqual([expect.stringMatching(/^agent-\d{8}T\d{6}Z\.tar\.gz$/)]);
    cleanup(x);
  });
});

describe("agentd restore", () => {
  it("refuses the folder of a running agent and changes nothing", async () => {
    const out = join(root, "refuse.tar.gz");
    expect((await runCli(["backup", d.dir, "--out", out])).code).toBe(0);
    const before = readdirSync(d.dir).sort();
    const r = await runCli(["restore", out, d.dir, "--force"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/an agent is running in .* \(pid \d+\): stop it first \(agentd stop /);
    expect(readdirSync(d.dir).sort()).toEqual(before);
    expect(readdirSync(root).filter((n) => n.includes("restore-") || n.includes("pre-restore"))).toEqual([]);
  });

  it("refuses a stopped agent's folder without --force, and with it moves the replaced files aside", async () => {
    const out = join(root, "force.tar.gz");
    expect((await runCli(["backup", d.dir, "--out", out])).code).toBe(0);
    const target = join(root, "stopped-agent");
    mkdirSync(target);
    writeFileSync(join(target, "agentd.yaml"), "name: older\n");
    const refused = await runCli(["restore", out, target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already holds an agent: .*--force/);
    expect(readFileSync(join(target, "agentd.yaml"), "utf8")).toBe("name: older\n");
    const forced = await runCli(["restore", out, target, "--force"]);
    expect(forced.code).toBe(0);
    const aside = /the files it replaced are in (\S+)/.exec(forced.stdout)![1]!;
    expect(readFileSync(join(aside, "agentd.yaml"), "utf8")).toBe("name: older\n");
    expect(readFileSync(join(target, "agentd.yaml"), "utf8")).not.toBe("name: older\n");
  });

  it("refuses a damaged archive before touching the folder", async () => {
    const out = join(root, "damaged.tar.gz");
    expect((await runCli(["backup", d.dir, "--out", out])).code).toBe(0);
    const x = tempDir();
    await tar.x({ file: out, cwd: x });
    writeFileSync(join(x, "SOUL.md"), "tampered\n");
    const bad = join(root, "tampered.tar.gz");
    await tar.c({ gzip: true, file: bad, cwd: x }, readdirSync(x));
    cleanup(x);
    const target = join(root, "never-written");
    const r = await runCli(["restore", bad, target]);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/is damaged: SOUL\.md does not match its checksum/);
    expect(existsSync(join(target, "agentd.db"))).toBe(false);

    // a file the manifest does not list (e.g. slipped into the archive afterwards) is refused too
    const y = tempDir();
    await tar.x({ file: out, cwd: y });
    writeFileSync(join(y, "run-me.sh"), "#!/bin/sh\n");
    const extra = join(root, "extra.tar.gz");
    await tar.c({ gzip: true, file: extra, cwd: y }, readdirSync(y));
    cleanup(y);
    const r2 = await runCli(["restore", extra, target]);
    expect(r2.code).toBe(64);
    expect(r2.stderr).toMatch(/holds files its manifest does not list \(run-me\.sh\): not restored/);
    expect(existsSync(join(target, "run-me.sh"))).toBe(false);
  });
});

describe("scheduled backups", () => {
  it("writes one every backup.intervalHours into backup.dir and keeps the newest backup.keep", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url, edit: (cfg) => (cfg.backup = { intervalHours: 0.0002, keep: 2 }) }); // every 0.72 s
    const agent = await startDaemon(dir);
    const seen = new Set<string>();
    try {
      await waitFor(() => {
        for (const n of existsSync(join(dir, "backups")) ? readdirSync(join(dir, "backups")) : []) if (n.endsWith(".tar.gz")) seen.add(n);
        return seen.size >= 4;
      }, "four scheduled backups", 30_000);
      // stop waits for a backup under way, which prunes right after writing its archive
      await agent.stop();
      const kept = readdirSync(join(dir, "backups")).filter((n) => n.endsWith(".tar.gz"));
      expect(kept).toHaveLength(2);
      expect(kept.every((n) => /^agent-\d{8}T\d{6}Z\.tar\.gz$/.test(n))).toBe(true);
      expect(readdirSync(join(dir, "backups")).filter((n) => !n.endsWith(".tar.gz"))).toEqual([]); // no staging left
      // an archive never holds the backups folder itself
      const names: string[] = [];
      await tar.t({ file: join(dir, "backups", kept.at(-1)!), onReadEntry: (e) => names.push(e.path) });
      expect(names.some((n) => n.startsWith("backups"))).toBe(false);
      expect(names).toContain("agentd.db");
    } finally {
      await agent.stop();
      cleanup(join(dir, ".."));
    }
    expect(agent.output()).toMatch(/scheduled backup written/);
  });
});

describe("Litestream's requirements", () => {
  it("no code outside the vault index runs VACUUM or a truncating checkpoint", () => {
    // Litestream must own checkpoints past its read position and never see the database rewritten under it
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name) && !p.includes(`${join("src", "vault")}`)) {
          if (/\bVACUUM\b|wal_checkpoint\s*\(\s*(TRUNCATE|RESTART)/i.test(readFileSync(p, "utf8"))) offenders.push(p);
        }
      }
    };
    walk(join(ROOT, "src"));
    expect(offenders).toEqual([]);
  });

  it("the database stays in WAL mode and takes writes while another process holds a long read transaction", async () => {
    // Litestream (https://litestream.io/tips/) needs WAL mode and keeps a read transaction open to control
    // checkpoints; agentd never runs VACUUM or truncating checkpoints on agentd.db (see docs/operations.md)
    const reader = new Database(join(d.dir, "agentd.db"), { readonly: true });
    try {
      expect(reader.pragma("journal_mode", { simple: true })).toBe("wal");
      reader.exec("BEGIN");
      const count = reader.prepare("SELECT count(*) FROM messages").pluck().get() as number;
      for (let i = 0; i < 5; i++) {
        const r = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: `while litestream reads ${i}` }) });
        expect(r.status).toBe(200);
      }
      // the reader's snapshot is unchanged; the writes are in the WAL
      expect(reader.prepare("SELECT count(*) FROM messages").pluck().get()).toBe(count);
      reader.exec("COMMIT");
      expect(reader.prepare("SELECT count(*) FROM messages").pluck().get()).toBe(count + 10);
    } finally {
      reader.close();
    }
  });
});
