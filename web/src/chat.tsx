import { signal, computed, batch } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Attachment, Message } from "../../protocol/chat.js";
import type { Session } from "../../protocol/sessions.js";
import { c } from "./api.js";
import { toHtml } from "./markdown.js";

const sessions = signal<Session[]>([]);
const filter = signal("");
const messages = signal<Message[]>([]);
/** The reply being streamed: text so far, tool calls so far, run id (for abort). */
type Live = { runId?: string; text: string; tools: Array<{ name: string; arguments?: string; result?: string }>; awaitingApproval?: boolean };
const live = signal<Live | undefined>(undefined);
const failure = signal("");
const renaming = signal(false);
/** Files uploaded for the next message (shown as chips until sent), and how many uploads are under way. */
const attached = signal<Attachment[]>([]);
const uploading = signal(0);
const dragging = signal(false);

/** Stores each file with `POST /api/upload` (cookie session, same origin) and adds it to the next message. */
async function attach(files: Iterable<File>) {
  for (const file of files) {
    uploading.value++;
    try {
      const form = new FormData();
      form.append("file", file, file.name || `pasted.${file.type.split("/")[1] ?? "bin"}`);
      const res = await fetch("/api/upload", { method: "POST", body: form });
      const json = (await res.json()) as Attachment & { error?: { message: string } };
      if (!res.ok) throw new Error(json.error?.message ?? `upload failed (${res.status})`);
      attached.value = [...attached.value, json];
    } catch (err) {
      failure.value = `${file.name}: ${(err as Error).message}`;
    } finally {
      uploading.value--;
    }
  }
}

const kb = (bytes: number) => (bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KB`);
function Chips({ files, remove }: { files: Attachment[]; remove?: (a: Attachment) => void }) {
  return (
    <ul class="chips" aria-label="attachments">
      {files.map((a) => (
        <li class="chip" title={a.path}>
          {a.filename} <small class="muted">{a.mime}, {kb(a.bytes)}</small>
          {remove && <button type="button" aria-label={`remove ${a.filename}`} onClick={() => remove(a)}>×</button>}
        </li>
      ))}
    </ul>
  );
}
const shown = computed(() => sessions.value.filter((s) => (s.title ?? "untitled").toLowerCase().includes(filter.value.toLowerCase())));

async function loadSessions() {
  sessions.value = (await c().request("sessions.list", { limit: 200 })).sessions;
}
async function loadMessages(id: string) {
  messages.value = (await c().request("chat.history", { sessionId: id, limit: 200 })).messages;
}

async function rename(sessionId: string, title: string) {
  try {
    await c().request("sessions.rename", { sessionId, title });
    renaming.value = false;
    await loadSessions();
  } catch (err) {
    failure.value = (err as Error).message;
  }
}

async function remove(sessionId: string) {
  if (!confirm("Delete this session and its messages?")) return;
  try {
    await c().request("sessions.delete", { sessionId });
    location.hash = "#/chat";
    await loadSessions();
  } catch (err) {
    failure.value = (err as Error).message;
  }
}

/** "telegram chat 42" for a session bound to a chat (from its messages' channel address). */
function channelOf(list: Message[]): string | undefined {
  const ch = list.find((m) => m.channel)?.channel;
  return ch && `${ch.platform} chat ${ch.chatId}${ch.threadId ? ` thread ${ch.threadId}` : ""}${ch.userName ? ` (${ch.userName})` : ""}`;
}

async function send(sessionId: string | undefined, text: string, attachments: Attachment[] = []) {
  failure.value = "";
  live.value = { text: "", tools: [] };
  messages.value = [...messages.value, { id: `local-${Date.now()}`, role: "user", content: text, ...(attachments.length ? { attachments } : {}) } as Message];
  try {
    const run = await c().send(text, { ...(sessionId ? { sessionId } : {}), ...(attachments.length ? { attachments } : {}) });
    live.value = { ...live.value!, runId: run.runId };
    if (!sessionId) location.hash = `#/chat/${run.sessionId}`;
    for await (const ev of run.events) {
      const l: Live = live.value!;
      if (ev.event === "run.delta") live.value = { ...l, text: l.text + ev.payload.text };
      else if (ev.event === "run.status") live.value = { ...l, awaitingApproval: ev.payload.status === "awaiting_approval" };
      else if (ev.event === "run.tool") {
        const p = ev.payload;
        live.value = p.phase === "call" ? { ...l, tools: [...l.tools, { name: p.name, arguments: p.arguments ?? "" }] }
          : { ...l, tools: l.tools.map((t, i: number) => (i === l.tools.length - 1 ? { ...t, result: p.result ?? "" } : t)) };
      } else if (ev.event === "run.error") failure.value = ev.payload.error.message;
    }
    // the stored reply replaces the streaming one in one render: never both on screen
    const history = await c().request("chat.history", { sessionId: run.sessionId, limit: 200 });
    batch(() => {
      messages.value = history.messages;
      live.value = undefined;
    });
    void loadSessions();
  } catch (err) {
    failure.value = (err as Error).message;
  } finally {
    live.value = undefined;
  }
}

function Bubble({ m, toolResults }: { m: Message; toolResults: Map<string, string> }) {
  if (m.role === "tool") return null;
  return (
    <article class={`msg ${m.role}`}>
      {m.attachments?.length ? <Chips files={m.attachments} /> : null}
      {m.role === "user" ? m.content && <p class="plain">{m.content}</p> : <div class="md" dangerouslySetInnerHTML={{ __html: toHtml(m.content) }} />}
      {m.toolCalls?.map((t) => (
        <details class="tool"><summary>tool {t.name}</summary><pre>{t.arguments}</pre>{toolResults.has(t.id) && <pre>{toolResults.get(t.id)}</pre>}</details>
      ))}
      {m.status && m.status !== "ok" && <p class="status">{m.status}</p>}
    </article>
  );
}

/** The chat screen: the session list (search, new, switch) beside the conversation (streaming, abort, retry). */
export function Chat({ sessionId }: { sessionId: string | undefined }) {
  useEffect(() => void loadSessions(), []);
  useEffect(() => {
    messages.value = [];
    if (sessionId) void loadMessages(sessionId).catch((e: Error) => (failure.value = e.message));
  }, [sessionId]);
  const toolResults = new Map(messages.value.filter((m) => m.role === "tool").map((m) => [m.toolCallId ?? "", m.content]));
  const lastUser = [...messages.value].reverse().find((m) => m.role === "user");
  const submit = (e: Event) => {
    e.preventDefault();
    const area = (e.target as HTMLFormElement).elements.namedItem("text") as HTMLTextAreaElement;
    const text = area.value.trim();
    if ((!text && !attached.value.length) || live.value || uploading.value) return;
    area.value = "";
    const files = attached.value;
    attached.value = [];
    void send(sessionId, text, files);
  };
  const current = sessions.value.find((s) => s.id === sessionId);
  return (
    <main class="chat">
      <aside class="sessions" aria-label="sessions">
        <div class="row">
          <input type="search" placeholder="Search sessions" aria-label="search sessions" value={filter.value} onInput={(e) => (filter.value = e.currentTarget.value)} />
          <a class="button" href="#/chat" aria-label="new session">New</a>
        </div>
        <ul>
          {shown.value.map((s) => (
            <li><a href={`#/chat/${s.id}`} aria-current={s.id === sessionId ? "page" : undefined}>{s.title ?? "untitled"}<small>{s.messageCount} messages · {new Date(s.updatedAt).toLocaleString()}</small></a></li>
          ))}
        </ul>
      </aside>
      <section class="conversation" aria-label="conversation">
        {renaming.value && sessionId ? (
          <form class="row" onSubmit={(e) => { e.preventDefault(); void rename(sessionId, (e.currentTarget.elements.namedItem("title") as HTMLInputElement).value); }}>
            <input name="title" aria-label="session title" value={current?.title ?? ""} required maxLength={200} autoFocus />
            <button type="submit">Save title</button><button type="button" onClick={() => (renaming.value = false)}>Cancel</button>
          </form>
        ) : (
          <div class="row">
            <h2>{current?.title ?? (sessionId ? "untitled" : "New session")}</h2>
            {sessionId && <button type="button" onClick={() => (renaming.value = true)}>Rename</button>}
            {sessionId && <button type="button" onClick={() => void remove(sessionId)}>Delete</button>}
          </div>
        )}
        {channelOf(messages.value) && <p class="muted channel">Channel: {channelOf(messages.value)}</p>}
        <div class="log" aria-live="polite">
          {/* while a reply streams, its stored messages (a history load can bring them first) stay hidden: one reply on screen */}
          {messages.value.filter((m) => !(live.value?.runId && m.runId === live.value.runId && m.role !== "user")).map((m) => <Bubble m={m} toolResults={toolResults} />)}
          {live.value && (
            <article class="msg assistant streaming" data-testid="streaming">
              <div class="md" dangerouslySetInnerHTML={{ __html: toHtml(live.value.text || "…") }} />
              {live.value.awaitingApproval && <p class="status" role="status">A tool call waits for your answer: <a href="#/approvals">Approvals</a></p>}
              {live.value.tools.map((t) => <details class="tool"><summary>tool {t.name}</summary><pre>{t.arguments}</pre>{t.result !== undefined && <pre>{t.result}</pre>}</details>)}
            </article>
          )}
          {failure.value && <p class="error" role="alert">{failure.value}</p>}
        </div>
        {(attached.value.length > 0 || uploading.value > 0) && (
          <div class="row">
            <Chips files={attached.value} remove={(a) => (attached.value = attached.value.filter((x) => x !== a))} />
            {uploading.value > 0 && <small class="muted" role="status">Uploading {uploading.value}…</small>}
          </div>
        )}
        <form class={`composer${dragging.value ? " dragging" : ""}`} onSubmit={submit}
          onDragOver={(e) => { if (e.dataTransfer?.types.includes("Files")) { e.preventDefault(); dragging.value = true; } }}
          onDragLeave={() => (dragging.value = false)}
          onDrop={(e) => { dragging.value = false; if (e.dataTransfer?.files.length) { e.preventDefault(); void attach(e.dataTransfer.files); } }}>
          <label class="button attach">Attach<input type="file" multiple hidden aria-label="attach files"
            onChange={(e) => { const input = e.currentTarget; void attach(Array.from(input.files ?? [])).then(() => (input.value = "")); }} /></label>
          <textarea name="text" aria-label="message" placeholder="Message (Enter sends, Shift+Enter new line; drop or paste files)" rows={2}
            onPaste={(e) => { const files = Array.from(e.clipboardData?.files ?? []); if (files.length) { e.preventDefault(); void attach(files); } }}
            onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); e.currentTarget.form?.requestSubmit(); } }} />
          {live.value
            ? <button type="button" onClick={() => void c().request("chat.abort", live.value?.runId ? { runId: live.value.runId } : { sessionId: sessionId! })}>Abort</button>
            : <button type="submit">Send</button>}
          {!live.value && lastUser && <button type="button" onClick={() => void send(sessionId, lastUser.content, lastUser.attachments ?? [])}>Retry</button>}
        </form>
      </section>
    </main>
  );
}
