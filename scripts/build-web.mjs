// Bundles the web app (web/src/main.tsx: Preact + signals, the protocol client) into hashed static files in
// dist/bundle/web/ that the daemon serves at / (src/gateway/web-routes.ts). Browser code cannot load node:crypto or
// node:fs: the client's token handshake (protocol/handshake.ts) and folder lookup (protocol/endpoint.ts) are replaced
// by stubs that throw, since a page signs in with the session cookie (docs/protocol.md "Browsers").
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";

const browserStubs = {
  name: "browser-stubs",
  setup(b) {
    b.onResolve({ filter: /^\.\/(handshake|endpoint)\.js$/ }, (args) => (args.importer.includes("protocol") ? { path: args.path, namespace: "stub" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({
      contents: "const no = () => { throw new Error('the token handshake is not available in a browser: sign in with the session cookie'); };\n" +
        "export const keyOfToken = no, keyIdOfToken = no, newNonce = no, serverProofOf = no, clientProofOf = no, proofMatches = no, resolveEndpoint = no;",
      loader: "js",
    }));
  },
};

// zod re-exports all 60-odd error-message locales; the app only needs English (as in scripts/bundle.mjs)
const englishZod = {
  name: "english-zod",
  setup(b) {
    b.onLoad({ filter: /zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ contents: 'export { default as en } from "./en.js";', loader: "js" }));
  },
};

const out = "dist/bundle/web";
const result = await build({
  entryPoints: ["web/src/main.tsx"],
  outdir: `${out}/assets`,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  bundle: true,
  splitting: true,
  chunkNames: "chunk-[hash]",
  format: "esm",
  platform: "browser",
  target: ["chrome115", "firefox115", "safari16"],
  minify: true,
  metafile: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  tsconfig: "web/tsconfig.json",
  plugins: [browserStubs, englishZod],
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
// index.html names the entry, its CSS and (modulepreload) the chunks the entry imports statically: the first
// screen's files. Screens loaded with import() are fetched on first visit.
const outputs = result.metafile.outputs;
const entryPath = Object.keys(outputs).find((f) => outputs[f].entryPoint === "web/src/main.tsx");
const entry = outputs[entryPath];
const js = basename(entryPath);
const css = basename(entry.cssBundle);
const preloads = entry.imports.filter((i) => i.kind === "import-statement").map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">`).join("\n");
mkdirSync(out, { recursive: true });
// for scripts/third-party.mjs (notices and SBOM of everything the package ships)
mkdirSync("dist/meta", { recursive: true });
writeFileSync("dist/meta/web.json", JSON.stringify(result.metafile));
writeFileSync(`${out}/index.html`, readFileSync("web/index.html", "utf8").replace("%JS%", `/assets/${js}`).replace("%CSS%", `/assets/${css}`).replace("%PRELOAD%", preloads));
