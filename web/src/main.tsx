import "./app.css";
import { render } from "preact";
import { signal } from "@preact/signals";
import { connect, online, signIn } from "./api.js";
import { Chat } from "./chat.js";
import { lazy } from "./lazy.js";

// the other screens load on first visit: the first screen's JavaScript is the chat's (DESIGN.md §6 budget)
const Vault = lazy(() => import("./vault.js").then((m) => m.Vault));
const Usage = lazy(() => import("./usage.js").then((m) => m.Usage));
const Status = lazy(() => import("./status.js").then((m) => m.Status));
const Schedules = lazy(() => import("./schedules.js").then((m) => m.Schedules));
const Approvals = lazy(() => import("./approvals.js").then((m) => m.Approvals));

performance.mark("agentd:script"); // every module evaluated (scripts/bench/web.ts reads the marks)

/** The hash route: `#/chat/<session>`, `#/vault/<path>`, `#/approvals`, `#/schedules`, `#/usage`, `#/status`. */
const route = signal(location.hash);
addEventListener("hashchange", () => (route.value = location.hash));
const state = signal<"boot" | "login" | "app">("boot");
const error = signal("");

function Login() {
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = (new FormData(e.target as HTMLFormElement).get("token") as string).trim();
    try {
      await signIn({ token });
      if (await connect()) state.value = "app";
    } catch (err) {
      error.value = (err as Error).message;
    }
  };
  return (
    <main class="login">
      <form onSubmit={submit}>
        <h1>agentd</h1>
        <p>Paste the agent's token (AGENTD_TOKEN in the folder's .env), or run <code>agentd open DIR</code> for a link.</p>
        <input name="token" type="password" autocomplete="current-password" aria-label="token" required autofocus />
        <button type="submit">Sign in</button>
        {error.value && <p class="error" role="alert">{error.value}</p>}
      </form>
    </main>
  );
}

const TABS = [["chat", "Chat"], ["vault", "Vault"], ["approvals", "Approvals"], ["schedules", "Schedules"], ["usage", "Usage"], ["status", "Status"]] as const;

function App() {
  const [, tab = "chat", ...rest] = route.value.replace(/^#/, "").split("/");
  const arg = rest.length ? decodeURIComponent(rest.join("/")) : undefined;
  return (
    <>
      <header>
        <nav aria-label="screens">
          {TABS.map(([id, label]) => <a href={`#/${id}`} aria-current={tab === id ? "page" : undefined}>{label}</a>)}
        </nav>
        <span class={`conn ${online.value}`} title="connection">{online.value}</span>
      </header>
      {tab === "vault" ? <Vault path={arg} /> : tab === "approvals" ? <Approvals /> : tab === "schedules" ? <Schedules /> : tab === "usage" ? <Usage /> : tab === "status" ? <Status /> : <Chat sessionId={arg} />}
    </>
  );
}

function Root() {
  return state.value === "boot" ? <p class="boot">agentd</p> : state.value === "login" ? <Login /> : <App />;
}

async function boot() {
  const login = /^#login=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (login) {
    // the code is one-time: drop it from the address bar and history before anything else
    history.replaceState(null, "", "/#/chat");
    route.value = location.hash;
    try {
      await signIn({ code: login[1]! });
    } catch (err) {
      error.value = (err as Error).message;
    }
  }
  const signedIn = await connect().catch(() => false);
  performance.mark("agentd:connected");
  state.value = signedIn ? "app" : "login";
  // the first screen is on screen at the next frame: scripts/bench/web.ts reads this mark
  requestAnimationFrame(() => setTimeout(() => performance.mark("agentd:first-screen")));
}

render(<Root />, document.getElementById("app")!);
void boot();
