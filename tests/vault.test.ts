import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { startFakeLlm, type FakeLlm } from "./support/fake-llm.js";
import { ROOT, initAgent, startDaemon, tempDir, waitFor, type RunningDaemon } from "./support/daemon.js";
import { AgentdClient } from "../protocol/client.js";

let llm: FakeLlm;
let d: RunningDaemon;
let vaultDir: string;

/** Every file under a folder with its bytes, to prove a request changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.isFile()) out.set(r, readFileSync(join(dir, r), "latin1"));
    }
  };
  walk("");
  return out;
}

const enc = (p: string) => p.split("/").map(encodeURIComponent).join("/");

beforeAll(async () => {
  llm = await startFakeLlm();
  const { dir } = await initAgent({ llmUrl: llm.url, edit: (c) => (c.agent = { ...c.agent, titleSessions: false }) });
  vaultDir = join(dir, "vault");
  cpSync(join(ROOT, "tests", "fixtures", "vault"), vaultDir, { recursive: true });
  d = await startDaemon(dir);
  await waitFor(async () => !((await (await d.api("/api/vault/search?q=welcome")).json()) as { indexing: boolean }).indexing, "the first index");
});
afterAll(async () => {
  await d?.stop();
  await llm.close();
});

describe("vault over REST", () => {
  it("round-trips content and frontmatter byte for byte, with ETag and If-Match", async () => {
    const text = "---\ntitle: Plan ✓\ntags: [work, \"a/b\"]\n---\n# Plan\n\nSee [[Welcome]] and #todo/now.\n\n  trailing spaces  \n";
    const put = await d.api(`/api/vault/notes/${enc("Projects/Über plan.md")}`, { method: "PUT", body: JSON.stringify({ content: text }) });
    expect(put.status).toBe(200);
    const written = (await put.json()) as { etag: string; created: boolean };
    expect(written.created).toBe(true);
    expect(readFileSync(join(vaultDir, "Projects", "Über plan.md"), "utf8")).toBe(text);
    const get = await d.api(`/api/vault/notes/${enc("Projects/Über plan.md")}`);
    expect(get.headers.get("etag")).toBe(written.etag);
    const note = (await get.json()) as { content: string; frontmatter: Record<string, unknown>; tags: string[]; links: Array<{ target: string; resolved: string | null }> };
    // `content` is the body after the frontmatter block, byte for byte; the frontmatter comes parsed beside it
    expect(note.content).toBe(text.slice(text.indexOf("---\n", 4) + 4));
    expect(note.frontmatter).toEqual({ title: "Plan ✓", tags: ["work", "a/b"] });
    expect(note.tags).toEqual(expect.arrayContaining(["work", "a/b", "todo/now"]));
    expect(note.links.find((l) => l.target === "Welcome")?.resolved).toBe("Welcome.md");

    // frontmatter only: the body bytes stay exactly as they were
    const fm = await d.api(`/api/vault/notes/${enc("Projects/Über plan.md")}`, { method: "PUT", headers: { "if-match": written.etag }, body: JSON.stringify({ frontmatter: { title: "Plan 2" } }) });
    expect(fm.status).toBe(200);
    const after = readFileSync(join(vaultDir, "Projects", "Über plan.md"), "utf8");
    expect(after.endsWith("# Plan\n\nSee [[Welcome]] and #todo/now.\n\n  trailing spaces  \n")).toBe(true);

    // a stale ETag (the user edited the note in Obsidian meanwhile): 409, nothing changes
    const stale = await d.api(`/api/vault/notes/${enc("Projects/Über plan.md")}`, { method: "PUT", headers: { "if-match": written.etag }, body: JSON.stringify({ content: "overwrite" }) });
    expect(stale.status).toBe(409);
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe("conflict");
    expect(readFileSync(join(vaultDir, "Projects", "Über plan.md"), "utf8")).toBe(after);

    const del = await d.api(`/api/vault/notes/${enc("Projects/Über plan.md")}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(existsSync(join(vaultDir, "Projects", "Über plan.md"))).toBe(false);
    expect((await d.api(`/api/vault/notes/${enc("Projects/Über plan.md")}`)).status).toBe(404);
  });

  it("refuses every kind of path escape with 400 and touches nothing", async () => {
    const outside = tempDir();
    writeFileSync(join(outside, "secret.md"), "outside");
    symlinkSync(outside, join(vaultDir, "link-out"));
    const before = snapshot(resolve(vaultDir, ".."));
    // fetch normalises a literal `..` away before sending (those requests then miss the route: 404), so the
    // escapes that reach the server are percent-encoded ones, symlinks and hidden folders
    const attempts = ["%2E%2E/agentd.yaml", "../agentd.yaml", "../../etc/passwd.md", "%2Fetc%2Fpasswd.md", "..%2F..%2Fescape.md", "link-out/secret.md", "link-out/new.md", ".obsidian/app.md", ".trash/old.md", "a/../../x.md", "notes/..%5C..%5Cx.md"];
    for (const p of attempts) {
      for (const init of [{}, { method: "PUT", body: JSON.stringify({ content: "x" }) }, { method: "DELETE" }]) {
        const res = await d.api(`/api/vault/notes/${p}`, init);
        expect([400, 404], `${(init as { method?: string }).method ?? "GET"} ${p}`).toContain(res.status);
        if (res.status === 404) expect(((await res.json()) as { error: { code: string } }).error.code).not.toBe("internal");
      }
    }
    // writes through a symlink out of the vault and to hidden folders are always 400
    for (const p of ["link-out/new.md", ".obsidian/app.md", "..%2Fagentd.yaml", "%2Fetc%2Fpasswd.md", ".trash/old.md"]) {
      const res = await d.api(`/api/vault/notes/${p}`, { method: "PUT", body: JSON.stringify({ content: "x" }) });
      expect(res.status, p).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message.length).toBeGreaterThan(5);
    }
    rmSync(join(vaultDir, "link-out"));
    const afterSnap = snapshot(resolve(vaultDir, ".."));
    for (const [file, bytes] of before) if (!file.startsWith("logs") && !file.startsWith("agentd.db") && !file.startsWith("vault-index")) expect(afterSnap.get(file), file).toBe(bytes);
    expect(readFileSync(join(outside, "secret.md"), "utf8")).toBe("outside");
    expect(readdirSync(outside)).toEqual(["secret.md"]);
  });

  it("reflects outside edits (an editor, Obsidian, git) in search and backlinks within a second", async () => {
    writeFileSync(join(vaultDir, "Outside edit.md"), "A zanzibarian note that links [[Welcome]].\n");
    await waitFor(async () => {
      const r = (await (await d.api("/api/vault/search?q=zanzibarian")).json()) as { hits: Array<{ path: string; snippet: string }> };
      return r.hits.some((h) => h.path === "Outside edit.md" && h.snippet.includes("<mark>"));
    }, "the new note in search", 2000);
    await waitFor(async () => {
      const w = (await (await d.api("/api/vault/notes/Welcome.md")).json()) as { backlinks: Array<{ path: string }> };
      return w.backlinks.some((b) => b.path === "Outside edit.md");
    }, "the backlink", 2000);
    renameSync(join(vaultDir, "Outside edit.md"), join(vaultDir, "Renamed edit.md"));
    await waitFor(async () => {
      const r = (await (await d.api("/api/vault/search?q=zanzibar")).json()) as { hits: Array<{ path: string }> };
      return r.hits.length === 1 && r.hits[0]!.path === "Renamed edit.md";
    }, "the rename in search (prefix query)", 2000);
    rmSync(join(vaultDir, "Renamed edit.md"));
    await waitFor(async () => {
      const w = (await (await d.api("/api/vault/notes/Welcome.md")).json()) as { backlinks: Array<{ path: string }> };
      return !w.backlinks.some((b) => b.path.endsWith("edit.md"));
    }, "the deletion in backlinks", 2000);
  });

  it("serves the graph with unresolved links flagged, and the same operations over the protocol", async () => {
    const graph = (await (await d.api("/api/vault/graph")).json()) as { nodes: Array<{ unresolved: boolean }>; edges: unknown[] };
    expect(graph.nodes.some((n) => n.unresolved)).toBe(true);
    expect(graph.edges.length).toBeGreaterThan(0);
    const client = await AgentdClient.connect({ agentDir: d.dir, reconnect: false });
    const w = await client.request("vault.write", { path: "Proto/Note.md", content: "via the protocol #proto" });
    const r = await client.request("vault.read", { path: "Proto/Note.md" });
    expect(r.etag).toBe(w.etag);
    expect(r.tags).toContain("proto");
    await expect(client.request("vault.read", { path: "../agentd.yaml" })).rejects.toMatchObject({ code: "bad_request" });
    const list = await client.request("vault.list", { folder: "Proto" });
    expect(list.notes.map((n) => n.path)).toEqual(["Proto/Note.md"]);
    client.close();
  });

  it("gives the agent the vault tools", async () => {
    mkdirSync(join(vaultDir, "Tools"), { recursive: true });
    llm.enqueue(
      { toolCalls: [{ name: "vault_write", arguments: JSON.stringify({ path: "Tools/From agent.md", content: "written by the agent" }) }] },
      { text: "Saved it." },
    );
    const res = await d.api("/api/chat", { method: "POST", body: JSON.stringify({ text: "save a note" }) });
    expect(((await res.json()) as { text: string }).text).toBe("Saved it.");
    expect(readFileSync(join(vaultDir, "Tools", "From agent.md"), "utf8")).toContain("written by the agent");
    const toolNames = ((llm.requests.at(-2)!.body as { tools: Array<{ function: { name: string } }> }).tools ?? []).map((t) => t.function.name);
    expect(toolNames).toEqual(expect.arrayContaining(["vault_search", "vault_read", "vault_write", "vault_list"]));
  });
});
