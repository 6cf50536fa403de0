/**
 * Worker-thread entry of `web_fetch`'s HTML extraction (see {@link ./extract-worker-main.ts}). When run from
 * TypeScript sources (tests, Node's type stripping), `.js` import specifiers are mapped to the `.ts` files beside
 * them; the compiled build (`dist/`) needs no hook.
 */
import { registerHooks } from "node:module";

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

await import("./extract-worker-main.js");
