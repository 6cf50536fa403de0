/**
 * Worker-thread entry of the vault reconcile (see {@link ./reconcile-worker-main.ts}) and of its parse worker
 * ({@link ./reconcile-parse-main.ts}, `workerData.role === "parse"`). When run from TypeScript
 * sources (tests, Node's type stripping), `.js` import specifiers are mapped to the `.ts` files beside them;
 * the compiled build (`dist/`) needs no hook.
 */
import { registerHooks } from "node:module";
import { workerData } from "node:worker_threads";

if (import.meta.url.endsWith(".ts")) {
  registerHooks({
    resolve(specifier, context, next) {
      try {
        return next(specifier, context);
      } catch (err) {
        if (specifier.startsWith(".") && specifier.endsWith(".js")) return next(`${specifier.slice(0, -3)}.ts`, context);
        throw err;
      }
    },
  });
}

// The reconcile's parse worker (a big plan, see reconcile-parse.ts) starts from this file too.
if ((workerData as { role?: string } | null)?.role === "parse") await import("./reconcile-parse-main.js");
else await import("./reconcile-worker-main.js");
