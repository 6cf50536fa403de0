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
const files = Object.keys(result.metafile.outputs).map((f) => basename(f));
const js = files.find((f) => f.endsWith(".js"));
const css = files.find((f) => f.endsWith(".css"));
mkdirSync(out, { recursive: true });
writeFileSync(`${out}/index.html`, readFileSync("web/index.html", "utf8").replace("%JS%", `/assets/${js}`).replace("%CSS%", `/assets/${css}`));
