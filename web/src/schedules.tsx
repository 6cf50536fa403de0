import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { Schedule } from "../../protocol/schedules.js";
import { c } from "./api.js";

const schedules = signal<Schedule[]>([]);
const notice = signal("");

async function load() {
  schedules.value = (await c().request("schedules.list", {})).schedules;
}

async function act(what: string, f: () => Promise<unknown>) {
  try {
    await f();
    notice.value = what;
    await load();
  } catch (err) {
    notice.value = (err as Error).message;
  }
}

const when = (s: Schedule) => (s.cron ? `cron ${s.cron}` : s.everyMs ? `every ${Math.round(s.everyMs / 1000)} s` : s.at ? `at ${s.at}` : s.kind);

/** The schedules screen: the jobs with next run and last firing; create, pause/resume, run now, delete. */
export function Schedules() {
  useEffect(() => void load(), []);
  const create = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget as HTMLFormElement);
    const spec = String(f.get("when")).trim();
    const timing = /^\d+$/.test(spec) ? { everyMs: Number(spec) * 1000 } : { cron: spec };
    void act("Created.", () => c().request("schedules.create", { name: String(f.get("name")), prompt: String(f.get("prompt")), ...timing }));
  };
  return (
    <main class="page">
      <h2>Schedules</h2>
      {notice.value && <p role="status">{notice.value}</p>}
      <table class="schedules">
        <thead><tr><th>Name</th><th>When</th><th>Next run</th><th>Last firing</th><th /></tr></thead>
        <tbody>
          {schedules.value.map((s) => (
            <tr>
              <td>{s.name}<small class="muted"> {s.source}</small></td>
              <td>{when(s)}</td>
              <td>{s.enabled ? (s.nextRunAt ? new Date(s.nextRunAt).toLocaleString() : "–") : "paused"}</td>
              <td>{s.lastFiring ? `${s.lastFiring.status} ${new Date(s.lastFiring.startedAt).toLocaleString()}` : "never"}</td>
              <td class="row">
                <button type="button" onClick={() => void act("Fired.", () => c().request("schedules.run", { id: s.id }))}>Run now</button>
                <button type="button" onClick={() => void act(s.enabled ? "Paused." : "Resumed.", () => c().request("schedules.update", { id: s.id, patch: { enabled: !s.enabled } }))}>{s.enabled ? "Pause" : "Resume"}</button>
                {s.source !== "config" && <button type="button" onClick={() => void act("Deleted.", () => c().request("schedules.delete", { id: s.id }))}>Delete</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {schedules.value.length === 0 && <p class="muted">No scheduled jobs yet.</p>}
      <h3>New job</h3>
      <form class="config" onSubmit={create}>
        <div class="field"><label for="s-name">name</label><input id="s-name" name="name" required maxLength={100} /></div>
        <div class="field"><label for="s-when">cron expression, or seconds</label><input id="s-when" name="when" required placeholder="0 8 * * 1-5" /></div>
        <div class="field"><label for="s-prompt">prompt</label><textarea id="s-prompt" name="prompt" required rows={3} /></div>
        <button type="submit">Create</button>
      </form>
    </main>
  );
}
