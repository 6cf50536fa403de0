// Bundles the compiled CLI (dist/src/cli/main.js) and the bridges into dist/bundle/ with esbuild.
// Why: loading ~400 ESM files of drizzle-orm, zod and friends costs ~550 ms at start; one bundle with
// code splitting starts in ~150 ms (see docs/performance.md). better-sqlite3 (native) stays external.
import { build } from "esbuild";
import { existsSync, rmSync } from "node:fs";

rmSync("dist/bundle", { recursive: true, force: true });

const entryPoints = ["dist/src/cli/main.js", "dist/bridges/telegram/main.js", "dist/bridges/discord/main.js", "dist/bridges/whatsapp/main.js"]
  .filter((f) => existsSync(f));

await build({
  entryPoints,
  outdir: "dist/bundle",
  entryNames: "[dir]/[name]",
  outbase: "dist",
  bundle: true,
  splitting: true,
  platform: "node",
  format: "esm",
  target: "node22",
  external: ["better-sqlite3", "pino-pretty", "bufferutil", "utf-8-validate", "sharp", "jimp", "link-preview-js", "qrcode-terminal"],
  banner: { js: "import { createRequire as __agentdRequire } from 'node:module'; const require = __agentdRequire(import.meta.url);" },
  logLevel: "warning",
});
