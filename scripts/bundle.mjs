// Bundles the compiled CLI (dist/src/cli/main.js), the vault's index worker and the bridges into dist/bundle/
// with esbuild. Why: loading ~400 ESM files of drizzle-orm, zod and friends costs ~550 ms at start; one bundle
// with code splitting starts in ~180 ms (see docs/performance.md). And since the bundle carries every pure-JS
// dependency, an install needs only better-sqlite3 (native) and zod (for the protocol client, `agentd/client`):
// ~45 MB of node_modules instead of ~200 MB. Optional natives of ws and discord.js stay external; the Slack SDKs (and their undici) are bundled.
// The WhatsApp bridge is not in this bundle: it is its own GPL-3.0-or-later package (scripts/bundle-whatsapp.mjs).
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { writeThirdPartyFiles } from "./third-party.mjs";

// zod 4 re-exports its 60-odd error-message locales as `z.locales`, so a bundle keeps all of them (~250 KB of
// source in every process's heap) though agentd only uses English, the default.
const englishZod = {
  name: "english-zod",
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: "js" }));
  },
};

// pino-roll (log rotation) takes five functions from the date-fns index, which loads all ~250 date-fns modules and
// their locale at every daemon start (~100 ms, ~2 MB of heap). agentd uses two of them (addDays, addHours for
// daily/hourly rotation); format, parse and isValid only serve pino-roll's `dateFormat`, which agentd never sets
// (src/logs/destination.ts): they throw if ever called. Fail the build if pino-roll changes the line.
const lazyDateFns = {
  name: "lazy-date-fns",
  setup(b) {
    b.onLoad({ filter: /pino-roll[\\/]lib[\\/]utils\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      const line = "const { format, addDays, addHours, parse, isValid } = require('date-fns')";
      if (!text.includes(line)) throw new Error(`${args.path}: expected "${line}" (pino-roll changed; update scripts/bundle.mjs)`);
      const absent = (f) => `${f} = () => { throw new Error("pino-roll dateFormat is not available in agentd's bundle (${f})") }`;
      const replacement = `const { addDays } = require('date-fns/addDays'); const { addHours } = require('date-fns/addHours'); const ${["format", "parse", "isValid"].map(absent).join(", ")}`;
      return { contents: text.replace(line, replacement), loader: "js" };
    });
  },
};

// @mozilla/readability (web_fetch) writes CJK punctuation straight into regular expression literals; escape every
// non-Latin-1 character as \uXXXX (the same pattern in a non-`u` regex or a string) so its chunk stays one byte per
// character in V8's heap.
const latin1Readability = {
  name: "latin1-readability",
  setup(b) {
    b.onLoad({ filter: /@mozilla[\\/]readability[\\/]Readability\.js$/ }, (args) => ({
      contents: readFileSync(args.path, "utf8").replace(/[^\x00-\xff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
      loader: "js",
    }));
  },
};

rmSync("dist/bundle", { recursive: true, force: true });
rmSync("dist/meta", { recursive: true, force: true });

const entryPoints = ["dist/src/cli/main.js", "dist/src/vault/reconcile-worker.js", "dist/src/tools/extract-worker.js", "dist/bridges/telegram/main.js", "dist/bridges/discord/main.js", "dist/bridges/slack/main.js"]
  .filter((f) => existsSync(f));

const result = await build({
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
  // no comments or indentation: V8 keeps every module's source text in the heap, and a single non-ASCII
  // character in a comment (an em dash) makes a whole chunk a two-byte string. Names are kept, for stack traces.
  minifyWhitespace: true,
  charset: "ascii",
  plugins: [englishZod, lazyDateFns, latin1Readability],
  banner: { js: "import { createRequire as __agentdRequire } from 'node:module'; const require = __agentdRequire(import.meta.url);" },
  logLevel: "warning",
  // the metafile lists every input file: scripts/third-party.mjs derives THIRD_PARTY_NOTICES and the SBOM from it
  metafile: true,
  // linked source maps (main.js.map beside main.js), chained through tsc's maps to src/**/*.ts, so a stack trace
  // names src/cli/start.ts:42 (docs/operations.md "Source maps"). Mappings only: the sources are not embedded.
  sourcemap: "linked",
  sourcesContent: false,
});
mkdirSync("dist/meta", { recursive: true });
writeFileSync("dist/meta/daemon.json", JSON.stringify(result.metafile));

// V8 stores a module's source as a two-byte string (twice the memory) when one character is not Latin-1; esbuild
// escapes strings but not regular expression literals, so say which chunks carry one (write \uXXXX instead).
for (const f of readdirSync("dist/bundle", { recursive: true })) {
  if (!String(f).endsWith(".js")) continue;
  const wide = /[^\x00-\xff]/.exec(readFileSync(`dist/bundle/${f}`, "utf8"));
  if (wide) console.warn(`bundle: dist/bundle/${f} has a non-Latin-1 character (${JSON.stringify(wide[0])}): V8 keeps this chunk's source at two bytes per character`);
}
await import("./build-web.mjs");
// the WhatsApp bridge is its own GPL package (bridges/whatsapp/), never part of dist/bundle/
await import("./bundle-whatsapp.mjs");
const thirdParty = writeThirdPartyFiles();
console.log(`bundle: ${thirdParty.length} third-party packages listed in dist/THIRD_PARTY_NOTICES.md and dist/sbom.cdx.json`);
