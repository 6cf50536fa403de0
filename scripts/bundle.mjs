// Bundles the compiled CLI (dist/src/cli/main.js), the vault's index worker and the bridges into dist/bundle/
// with esbuild. Why: loading ~400 ESM files of drizzle-orm, zod and friends costs ~550 ms at start; one bundle
// with code splitting starts in ~180 ms (see docs/performance.md). And since the bundle carries every pure-JS
// dependency, an install needs only better-sqlite3 (native) and zod (for the protocol client, `agentd/client`):
// ~45 MB of node_modules instead of ~200 MB. Optional natives of ws, discord.js and Baileys stay external.
import { build } from "esbuild";
import { existsSync, rmSync } from "node:fs";

rmSync("dist/bundle", { recursive: true, force: true });

const entryPoints = ["dist/src/cli/main.js", "dist/src/vault/reconcile-worker.js", "dist/bridges/telegram/main.js", "dist/bridges/discord/main.js", "dist/bridges/whatsapp/main.js"]
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
  external: ["better-sqlite3", "bufferutil", "utf-8-validate", "zlib-sync", "erlpack", "sharp", "jimp", "link-preview-js", "qrcode-terminal", "audio-decode", "@napi-rs/image"],
  banner: { js: "import { createRequire as __agentdRequire } from 'node:module'; const require = __agentdRequire(import.meta.url);" },
  logLevel: "warning",
});
