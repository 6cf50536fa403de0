import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Found entries by `from` + `relPath`, so each is looked up on disk once per process. */
const found = new Map<string, URL | null>();

/**
 * Where a worker thread's entry file is, for a module at `from` (its `import.meta.url`) whose worker entry is
 * `relPath` from the source root (e.g. `src/vault/reconcile-worker`, no extension): beside that module (tsc output,
 * or `.ts` sources under vitest), or, when the module was bundled by esbuild into dist/bundle/ (where the worker's
 * own file is not), the tsc output `<relPath>.js` in one of the four folders above it. `null` when there is none
 * (the caller then does the work on its own thread). The answer is kept for the life of the process.
 */
export function workerEntryUrl(from: string, relPath: string): URL | null {
  const key = `${from}\0${relPath}`;
  const known = found.get(key);
  if (known !== undefined) return known;
  const ext = from.endsWith(".ts") ? ".ts" : ".js";
  const beside = new URL(`./${relPath.split("/").pop()}${ext}`, from);
  let url: URL | null = null;
  if (existsSync(fileURLToPath(beside))) url = beside;
  else {
    let dir = dirname(fileURLToPath(from));
    for (let i = 0; i < 4 && url === null; i++, dir = dirname(dir)) {
      const candidate = join(dir, `${relPath}.js`);
      if (existsSync(candidate)) url = pathToFileURL(candidate);
    }
  }
  found.set(key, url);
  return url;
}
