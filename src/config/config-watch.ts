import { watch, type FSWatcher } from "node:fs";
import type { Logger } from "pino";
import { CONFIG_FILE } from "./load.js";

/** Default quiet time after the last change event before agentd.yaml is re-read, in ms. */
export const CONFIG_WATCH_DEBOUNCE_MS = 100;

/** A running watch; `close()` stops it (idempotent). */
export interface ConfigWatch {
  close(): void;
}

/**
 * Watches the agent folder for changes of agentd.yaml (the folder, not the file, so editors that save by
 * renaming a new file over the old one are seen, as are our own atomic writes) and calls `onChange` once per
 * burst of events, `debounceMs` (default {@link CONFIG_WATCH_DEBOUNCE_MS}) after the last. `onChange` decides
 * whether the text really changed (see `ConfigWriter.reload`). The watch never keeps the process alive.
 */
export function watchConfigFile(dir: string, onChange: () => void, opts: { logger: Logger; debounceMs?: number }): ConfigWatch {
  const debounceMs = opts.debounceMs ?? CONFIG_WATCH_DEBOUNCE_MS;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const fire = () => {
    timer = undefined;
    try {
      onChange();
    } catch (err) {
      opts.logger.error({ err }, `could not reload ${CONFIG_FILE}`);
    }
  };
  try {
    watcher = watch(dir, { persistent: false }, (_event, filename) => {
      if (filename !== null && filename !== CONFIG_FILE) return;
      clearTimeout(timer);
      timer = setTimeout(fire, debounceMs);
      timer.unref();
    });
    watcher.on("error", (err) => opts.logger.warn({ err }, `watching ${CONFIG_FILE} failed; edits by hand need a restart`));
  } catch (err) {
    opts.logger.warn({ err }, `cannot watch ${CONFIG_FILE}; edits by hand need a restart`);
  }
  return {
    close: () => {
      clearTimeout(timer);
      watcher?.close();
      watcher = undefined;
    },
  };
}
