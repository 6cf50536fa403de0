import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { UsageDaily, UsageSummary } from "../../protocol/usage.js";
import { c } from "./api.js";

const daily = signal<UsageDaily | undefined>(undefined);
const summary = signal<UsageSummary | undefined>(undefined);

function Bars({ rows }: { rows: Array<{ label: string; value: number; text: string }> }) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return (
    <div class="bars" role="table">
      {rows.map((r) => (
        <div class="bar" role="row"><span role="cell">{r.label}</span><span class="fill" style={{ width: `${(100 * r.value) / max}%` }} /><span role="cell">{r.text}</span></div>
      ))}
    </div>
  );
}

const tokens = (t: { promptTokens: number; completionTokens: number }) => t.promptTokens + t.completionTokens;
const usd = (x: number) => `$${x.toFixed(4)}`;

/** The usage screen: tokens and spend per day (30 days) and per model (this month). */
export function Usage() {
  useEffect(() => {
    void c().request("usage.daily", { days: 30 }).then((d) => (daily.value = d));
    void c().request("usage.summary", {}).then((s) => (summary.value = s));
  }, []);
  const s = summary.value;
  return (
    <main class="page">
      <h2>Usage</h2>
      {s && <p>This month ({s.month}): {tokens(s.total).toLocaleString()} tokens, {usd(s.total.costUsd)} in {s.total.calls} calls.</p>}
      <h3>Per day</h3>
      {daily.value && <Bars rows={daily.value.days.map((d) => ({ label: d.date.slice(5), value: tokens(d), text: `${tokens(d).toLocaleString()} tok · ${usd(d.costUsd)}` }))} />}
      <h3>Per model</h3>
      {s && <Bars rows={s.models.map((m) => ({ label: m.model, value: tokens(m), text: `${tokens(m).toLocaleString()} tok · ${usd(m.costUsd)}` }))} />}
      <h3>Per session</h3>
      {s && <Bars rows={s.sessions.map((x) => ({ label: x.title ?? x.sessionId, value: tokens(x), text: `${tokens(x).toLocaleString()} tok · ${usd(x.costUsd)}` }))} />}
    </main>
  );
}
