// Builds the WhatsApp bridge package (bridges/whatsapp/, npm name agentd-whatsapp, GPL-3.0-or-later) into
// bridges/whatsapp/dist/main.js. Why separate: the bridge runs Baileys, which needs libsignal (GPL-3.0); agentd is MIT,
// so neither Baileys nor libsignal may be bundled into dist/bundle/. Here only our own code (bridges/whatsapp,
// bridges/common, protocol/) is bundled; every third-party import stays external and must be a declared dependency of
// bridges/whatsapp/package.json (the build fails otherwise), so npm installs, audits and lists them.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const OUT = "bridges/whatsapp/dist";
const manifest = JSON.parse(readFileSync("bridges/whatsapp/package.json", "utf8"));
const root = JSON.parse(readFileSync("package.json", "utf8"));
if (manifest.version !== root.version) throw new Error(`bridges/whatsapp/package.json version ${manifest.version} != agentd ${root.version}: release them together`);

const result = await build({
  entryPoints: { main: "dist/bridges/whatsapp/main.js" },
  outdir: OUT,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node22",
  minifyWhitespace: true,
  charset: "ascii",
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
});
const declared = new Set(Object.keys(manifest.dependencies ?? {}));
const packageOf = (spec) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
const undeclared = new Set();
for (const output of Object.values(result.metafile.outputs)) {
  for (const i of output.imports) if (i.external && !i.path.startsWith("node:") && !declared.has(packageOf(i.path))) undeclared.add(packageOf(i.path));
}
if (undeclared.size) throw new Error(`the WhatsApp bridge imports ${[...undeclared].join(", ")}: declare them in bridges/whatsapp/package.json dependencies`);
