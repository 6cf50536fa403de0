import { signal } from "@preact/signals";
import type { FunctionComponent } from "preact";

/**
 * A screen whose module loads on first render (a dynamic import: esbuild puts it in its own chunk). Until then it
 * renders "Loading…"; a failed load shows the error.
 */
export function lazy<P extends object>(load: () => Promise<FunctionComponent<P>>): FunctionComponent<P> {
  const loaded = signal<FunctionComponent<P> | undefined>(undefined);
  const failed = signal("");
  let started = false;
  return (props: P) => {
    if (!started) {
      started = true;
      load().then((c) => (loaded.value = c), (err: Error) => (failed.value = err.message));
    }
    const C = loaded.value;
    return C ? <C {...props} /> : <p class={failed.value ? "error" : "muted"}>{failed.value || "Loading…"}</p>;
  };
}
