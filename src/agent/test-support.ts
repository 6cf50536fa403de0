import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { afterAll, afterEach, beforeAll } from "vitest";
import { startFakeLlm, type FakeLlm } from "../../tests/support/fake-llm.js";
import { Config } from "../config/schema.js";
import { Store } from "../store/store.js";
import { ProviderPool } from "./provider.js";

/**
 * Test helper: a temp agent folder with a real {@link Store}, a config whose models `main` (gpt-4o-mini) and
 * `backup` (gpt-4o) point at `llmUrl` (SDK retries off), a {@link ProviderPool} and a silent logger.
 * `edit` changes the raw config before it is parsed. `cleanup()` closes the store and removes the folder.
 */
export function agentFixture(llmUrl: string, edit?: (raw: Record<string, any>) => void): {
  dir: string;
  store: Store;
  config: () => Config;
  pool: ProviderPool;
  logger: Logger;
  setConfig(edit: (raw: Record<string, any>) => void): void;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), "agentd-agent-"));
  const base = (): Record<string, any> => ({
    model: "main",
    providers: { local: { baseUrl: llmUrl, maxRetries: 0, timeoutMs: 5000 } },
    models: { main: { provider: "local", model: "gpt-4o-mini" }, backup: { provider: "local", model: "gpt-4o" } },
    agent: { timezone: "Europe/Berlin" },
  });
  const raw = base();
  edit?.(raw);
  let cfg = Config.parse(raw);
  const store = new Store(join(dir, "agentd.db"));
  return {
    dir, store, config: () => cfg, pool: new ProviderPool(() => cfg), logger: pino({ level: "silent" }),
    setConfig(e) {
      const r = base();
      e(r);
      cfg = Config.parse(r);
    },
    cleanup() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Test helper: registers vitest hooks for the calling test file: one scripted model server (tests/support/fake-llm.ts)
 * started before its tests and closed after them, reset after each test, and `cleanups` run (and emptied) after each
 * test. `llm` throws when read outside a test (before `beforeAll` ran).
 */
export function useFakeLlm(): { readonly llm: FakeLlm; cleanups: Array<() => void> } {
  let llm: FakeLlm | undefined;
  const cleanups: Array<() => void> = [];
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(async () => {
    await llm?.close();
  });
  afterEach(() => {
    llm?.reset();
    for (const c of cleanups.splice(0)) c();
  });
  return {
    get llm(): FakeLlm {
      if (!llm) throw new Error("useFakeLlm: the model server starts in beforeAll; read `llm` inside a test");
      return llm;
    },
    cleanups,
  };
}
