import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Result } from "../../protocol/methods.js";

type VaultReadResult = Result<"vault.read">;
type VaultGraphResult = Result<"vault.graph">;
import { c } from "./api.js";
import { toHtml } from "./markdown.js";

type Summary = { path: string; title: string };
const notes = signal<Summary[]>([]);
const note = signal<VaultReadResult | undefined>(undefined);
const editing = signal(false);
const message = signal("");
const query = signal("");
const hits = signal<Array<{ path: string; title: string; snippet: string }>>([]);
const graph = signal<VaultGraphResult | undefined>(undefined);

/** Obsidian's rule, simplified: a wikilink names a note by path or by file name, `.md` optional. */
function resolver(target: string): string | undefined {
  const t = target.toLowerCase().replace(/\.md$/, "");
  return notes.value.find((n) => n.path.toLowerCase().replace(/\.md$/, "") === t || n.path.toLowerCase().replace(/\.md$/, "").split("/").pop() === t)?.path;
}

async function open(path: string) {
  editing.value = false;
  message.value = "";
  try {
    note.value = await c().request("vault.read", { path });
  } catch (err) {
    note.value = undefined;
    message.value = (err as Error).message;
  }
}

async function save(content: string) {
  const n = note.value!;
  try {
    const r = await c().request("vault.write", { path: n.path, content, ifMatch: n.etag });
    await open(r.path);
    message.value = "Saved.";
  } catch (err) {
    const e = err as Error & { code?: string };
    message.value = e.code === "conflict" ? "The note changed on disk since you opened it: reload it (your text is still in the editor) and save again." : e.message;
  }
}

/** A small picture of the graph around a note: the note in the middle, its neighbours on a circle. */
function Graph({ path }: { path: string }) {
  const g = graph.value;
  if (!g) return null;
  const self = g.nodes.find((n) => n.path === path);
  if (!self) return null;
  const ids = new Set(g.edges.flatMap((e) => (e.source === self.id ? [e.target] : e.target === self.id ? [e.source] : [])));
  const near = g.nodes.filter((n) => ids.has(n.id)).slice(0, 16);
  const r = 70;
  return (
    <svg class="graph" viewBox="-110 -100 220 200" role="img" aria-label={`graph around ${self.title}`}>
      {near.map((n, i) => {
        const a = (2 * Math.PI * i) / near.length;
        const x = r * Math.cos(a), y = r * Math.sin(a);
        return (
          <g>
            <line x1={0} y1={0} x2={x} y2={y} />
            <a href={n.path ? `#/vault/${encodeURIComponent(n.path)}` : undefined}><circle cx={x} cy={y} r={5} class={n.unresolved ? "unresolved" : ""} /><text x={x} y={y + 15} text-anchor="middle">{n.title}</text></a>
          </g>
        );
      })}
      <circle cx={0} cy={0} r={8} class="self" /><text x={0} y={-12} text-anchor="middle">{self.title}</text>
    </svg>
  );
}

/** The vault screen: folders and notes, search, a note rendered with wikilinks and backlinks, the editor. */
export function Vault({ path }: { path: string | undefined }) {
  useEffect(() => {
    void c().request("vault.list", {}).then((r) => (notes.value = r.notes));
    void c().request("vault.graph", {}).then((r) => (graph.value = r));
  }, []);
  useEffect(() => {
    if (path) void open(path);
    else note.value = undefined;
  }, [path]);
  const search = async (q: string) => {
    query.value = q;
    hits.value = q.trim() ? (await c().request("vault.search", { q })).hits : [];
  };
  const folders = new Map<string, Summary[]>();
  for (const n of notes.value) {
    const dir = n.path.includes("/") ? n.path.slice(0, n.path.lastIndexOf("/")) : "";
    folders.set(dir, [...(folders.get(dir) ?? []), n]);
  }
  const n = note.value;
  return (
    <main class="vault">
      <aside aria-label="notes">
        <input type="search" placeholder="Search the vault" aria-label="search the vault" value={query.value} onInput={(e) => void search(e.currentTarget.value)} />
        {hits.value.length > 0 && (
          <ul class="hits">{hits.value.map((h) => <li><a href={`#/vault/${encodeURIComponent(h.path)}`}>{h.title}</a><small dangerouslySetInnerHTML={{ __html: h.snippet }} /></li>)}</ul>
        )}
        {[...folders].sort(([a], [b]) => a.localeCompare(b)).map(([dir, list]) => (
          <details open>
            <summary>{dir || "/"}</summary>
            <ul>{list.map((s) => <li><a href={`#/vault/${encodeURIComponent(s.path)}`} aria-current={s.path === path ? "page" : undefined}>{s.title}</a></li>)}</ul>
          </details>
        ))}
      </aside>
      <section class="note">
        {message.value && <p class="notice" role="status">{message.value}</p>}
        {n && !editing.value && (
          <>
            <div class="row"><h2>{n.title}</h2><button type="button" onClick={() => (editing.value = true)}>Edit</button></div>
            <div class="md" dangerouslySetInnerHTML={{ __html: toHtml(n.content, resolver) }} />
            <h3>Backlinks</h3>
            {n.backlinks.length ? <ul class="backlinks">{n.backlinks.map((b) => <li><a href={`#/vault/${encodeURIComponent(b.path)}`}>{b.title}</a></li>)}</ul> : <p class="muted">No note links here.</p>}
            <Graph path={n.path} />
          </>
        )}
        {n && editing.value && (
          <form onSubmit={(e) => { e.preventDefault(); void save(((e.currentTarget.elements.namedItem("content")) as HTMLTextAreaElement).value); }}>
            <div class="row"><h2>{n.path}</h2><button type="submit">Save</button><button type="button" onClick={() => (editing.value = false)}>Cancel</button></div>
            <textarea name="content" aria-label="note text" class="editor">{n.content}</textarea>
          </form>
        )}
        {!n && !message.value && <p class="muted">Pick a note.</p>}
      </section>
    </main>
  );
}
