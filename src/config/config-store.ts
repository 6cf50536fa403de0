import type { Config } from "./schema.js";

/**
 * Top-level config sections that apply without a restart (issue 5): their readers call `ConfigStore.get()` per use
 * or listen to changes. Others (`name`: the WebSocket handshake's, `server`, `logging`: the log streams' levels are
 * fixed at start) need one.
 */
export const LIVE_SECTIONS = new Set<string>(["model", "fallbackModels", "providers", "models", "agent", "tools", "mcp", "channels", "pricing", "uploads", "metrics", "backup", "update", "schedules", "heartbeat", "hooks"]);

/** Listener of config changes: the new and old config and the top-level keys whose value changed. */
export type ConfigListener = (next: Config, prev: Config, changed: string[]) => void;

/**
 * Holds the config in force and tells listeners when it changes (PUT/PATCH /api/config, an external edit of
 * agentd.yaml). Readers call `get()` each time they need a value, so live sections apply on the next use.
 */
export class ConfigStore {
  private current: Config;
  private readonly listeners = new Set<ConfigListener>();

  constructor(initial: Config) {
    this.current = initial;
  }

  /** The config in force. */
  get(): Config {
    return this.current;
  }

  /**
   * Replaces the config and notifies listeners. Returns the changed top-level keys and those of them that
   * only take effect after a restart (e.g. `server.port`).
   */
  replace(next: Config): { changed: string[]; restartRequired: string[] } {
    const prev = this.current;
    const keys = new Set([...Object.keys(prev), ...Object.keys(next)]);
    const changed = [...keys].filter((k) => JSON.stringify((prev as Record<string, unknown>)[k]) !== JSON.stringify((next as Record<string, unknown>)[k]));
    this.current = next;
    if (changed.length > 0) for (const l of this.listeners) l(next, prev, changed);
    return { changed, restartRequired: changed.filter((k) => !LIVE_SECTIONS.has(k)) };
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
