import { afterAll, beforeAll, describe, expect, it } from "vitest";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { Vault } from "../src/vault/vault.js";
import { INDEX_SCHEMA_VERSION } from "../src/vault/index-db.js";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { ROOT, cleanup, initAgent, runCli, startDaemon, tempDir, waitFor } from "./support/daemon.js";

// Upgrades (issue 19): an agent folder written by the first release — its database made by the first migration
// set (drizzle/0000 + 0001) and holding data, its vault indexed — started by the current daemon keeps its
// sessions, messages, usage and vault index; a migration that fails leaves the database as it was and is named.

/**
 * The first release's migration set, frozen in tests/fixtures/first-release-migrations (drizzle/0000 + 0001 as they
 * shipped): when migrations are regenerated or added, this fixture stays what users' databases hold.
 */
const FIRST_RELEASE = join(ROOT, "tests", "fixtures", "first-release-migrations");
const FIRST_SET = ["0000_init", "0001_usage_run_index"];
const now = Date.parse("2026-11-02T10:00:00Z");

/** A migrations folder holding only the fixture's journal entries whose tags are given (drizzle applies exactly those). */
function migrationsOf(tags: string[]): string {
  const dir = tempDir("agentd-migrations-");
  mkdirSync(join(dir, "meta"));
  const journal = JSON.parse(readFileSync(join(FIRST_RELEASE, "meta", "_journal.json"), "utf8")) as { entries: Array<{ tag: string }> };
  expect(journal.entries.map((e) => e.tag)).toEqual(FIRST_SET);
  writeFileSync(join(dir, "meta", "_journal.json"), JSON.stringify({ ...journal, entries: journal.entries.filter((e) => tags.includes(e.tag)) }));
  for (const t of tags) cpSync(join(FIRST_RELEASE, `${t}.sql`), join(dir, `${t}.sql`));
  return dir;
}

/** Creates `DIR/agentd.db` as the first release did (WAL, the first migration set) with two sessions of data. */
function oldDatabase(dir: string, tags = FIRST_SET): Database.Database {
  const sqlite = new Database(join(dir, "agentd.db"));
  sqlite.pragma("journal_mode = WAL");
  const folder = migrationsOf(tags);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  cleanup(folder);
  return sqlite;
}

function fillOld(sqlite: Database.Database): void {
  const ins = (sql: string, ...args: unknown[]) => sqlite.prepare(sql).run(...args);
  ins("INSERT INTO sessions (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)", "s_old1", "Trip to Lisbon", now, now + 2000);
  ins("INSERT INTO sessions (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)", "s_old2", null, now + 5000, now + 6000);
  ins("INSERT INTO runs (id, session_id, idempotency_key, status, model, user_message_id, assistant_message_id, created_at, started_at, finished_at) VALUES (?,?,?,?,?,?,?,?,?,?)", "r_old1", "s_old1", "k1", "done", "main", "m_old1", "m_old2", now, now, now + 900);
  ins("INSERT INTO messages (id, session_id, run_id, role, content, status, model, channel, created_at) VALUES (?,?,?,?,?,?,?,?,?)", "m_old1", "s_old1", "r_old1", "user", "Plan a weekend in Lisbon", "ok", null, JSON.stringify({ platform: "telegram", chatId: "42", userId: "7", userName: "ann" }), now);
  ins("INSERT INTO messages (id, session_id, run_id, role, content, status, model, created_at) VALUES (?,?,?,?,?,?,?,?)", "m_old2", "s_old1", "r_old1", "assistant", "Day one: Alfama and a tram ride.", "ok", "main", now + 900);
  ins("INSERT INTO messages (id, session_id, run_id, role, content, status, created_at) VALUES (?,?,?,?,?,?,?)", "m_old3", "s_old2", null, "user", "Remind me of the dentist", "ok", now + 5000);
  ins("INSERT INTO usage_events (session_id, run_id, model, provider, purpose, prompt_tokens, completion_tokens, cached_tokens, cost_usd, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)", "s_old1", "r_old1", "main", "openai", "chat", 1200, 300, 200, 0.00036, Date.now());
  ins("INSERT INTO channel_bindings (platform, chat_id, thread_id, session_id, model, updated_at) VALUES (?,?,?,?,?,?)", "telegram", "42", "", "s_old1", null, now);
}

/** What must not change when a migration fails: the schema, the applied migrations and every row count. */
function fingerprint(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const schema = db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY name").all();
    const counts = Object.fromEntries(["sessions", "messages", "runs", "usage_events", "channel_bindings", "__drizzle_migrations"].map((t) => [t, db.prepare(`SELECT count(*) FROM "${t}"`).pluck().get()]));
    return JSON.stringify({ schema, counts });
  } finally {
    db.close();
  }
}

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm?.close();
});

describe("upgrading an agent folder of the first release", () => {
  let dir: string;
  beforeAll(async () => {
    ({ dir } = await initAgent({ llmUrl: llm.url, edit: (cfg) => (cfg.models.main.model = "test-model") }));
    writeFileSync(join(dir, "vault", "Lisbon.md"), "---\ntags: [travel]\n---\n# Lisbon\nAlfama, trams and [[Pastel de nata]].\n");
    writeFileSync(join(dir, "vault", "Pastel de nata.md"), "# Pastel de nata\nCustard tart, best at Belém.\n");
    // the vault index as the first release left it (format version 1)
    const vault = new Vault({ dir: join(dir, "vault"), indexDbPath: join(dir, "vault-index.db"), logger: pino({ level: "silent" }), watch: false });
    await vault.start();
    await vault.ready();
    expect(vault.search({ q: "custard" }).hits).toHaveLength(1);
    await vault.stop();
    expect(INDEX_SCHEMA_VERSION).toBe(1);
    const sqlite = oldDatabase(dir);
    fillOld(sqlite);
    sqlite.close();
  });
  afterAll(() => cleanup(join(dir, "..")));

  it("keeps sessions, messages, usage, bindings and the vault index, and works on", async () => {
    const d = await startDaemon(dir);
    try {
      const sessions = (await (await d.api("/api/sessions")).json()) as { sessions: Array<{ id: string; title: string | null }> };
      expect(sessions.sessions.map((s) => s.id).sort()).toEqual(["s_old1", "s_old2"]);
      expect(sessions.sessions.find((s) => s.id === "s_old1")?.title).toBe("Trip to Lisbon");
      const msgs = (await (await d.api("/api/sessions/s_old1/messages")).json()) as { messages: Array<{ role: string; content: string; channel?: { chatId: string } }> };
      expect(msgs.messages.map((m) => [m.role, m.content])).toEqual([["user", "Plan a weekend in Lisbon"], ["assistant", "Day one: Alfama and a tram ride."]]);
      expect(msgs.messages[0]!.channel?.chatId).toBe("42");
      const usage = (await (await d.api("/api/usage")).json()) as { models: Array<{ model: string; promptTokens: number; completionTokens: number }> };
      expect(usage.models).toEqual([expect.objectContaining({ model: "main", promptTokens: 1200, completionTokens: 300 })]);
      // the index was kept: the reconcile at start read no note again
      const reconciled = await waitFor(() => d.output().split("\n").find((l) => l.includes("index reconciled")), "the vault reconcile");
      expect(JSON.parse(reconciled)).toMatchObject({ notes: 3, parsed: 0 }) // with the template's Welcome.md;
      const hits = (await (await d.api("/api/vault/search?q=custard")).json()) as { hits: Array<{ path: string }> };
      expect(hits.hits.map((h) => h.path)).toEqual(["Pastel de nata.md"]);
      // the old session takes a new turn
      const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "and day two?", sessionId: "s_old1" }) });
      expect(res.status).toBe(200);
      const after = (await (await d.api("/api/sessions/s_old1/messages")).json()) as { messages: unknown[] };
      expect(after.messages).toHaveLength(4);
    } finally {
      await d.stop();
    }
  });
});

describe("a migration that fails", () => {
  it("leaves the database as it was and names the migration", async () => {
    const { dir } = await initAgent({ llmUrl: llm.url });
    try {
      // a database of the first migration only, holding an object that the next migration creates too
      const sqlite = oldDatabase(dir, ["0000_init"]);
      fillOld(sqlite);
      sqlite.exec("CREATE INDEX usage_run_idx ON usage_events (model)");
      sqlite.close();
      const before = fingerprint(join(dir, "agentd.db"));
      const r = await runCli(["start", dir], { env: { AGENTD_TOKEN: "" } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot migrate database .*agentd\.db: migration 0001_usage_run_index: index usage_run_idx already exists; nothing was changed/);
      expect(fingerprint(join(dir, "agentd.db"))).toBe(before);
    } finally {
      cleanup(join(dir, ".."));
    }
  });
});
