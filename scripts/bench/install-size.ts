/**
 * Install size benchmark (issue 7): `npm install --omit=dev` with this package's lock file in a temporary folder (the
 * daemon and the Telegram, Discord and Slack bridges: they share one package; WhatsApp's is agentd-whatsapp), then the bytes on disk of `node_modules` (`du`, what a user's
 * disk pays) and the biggest packages. `--ignore-scripts` skips this repository's own `prepare` (a build that
 * needs the dev dependencies); no runtime dependency has an install script (better-sqlite3 ships prebuilt
 * binaries). Also prints what the published package itself adds (`npm pack --dry-run`: its files unpacked, e.g.
 * `dist/`) and the bundle the CLI runs. Budget: < 150 MB.
 * Needs the npm registry or a warm npm cache. Run: `npm run build && node dist/scripts/bench/install-size.js`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { PACKAGE_ROOT } from "../../src/version.js";
import { row } from "./lib/measure.js";
import { mb } from "./lib/setup.js";

/** Bytes on disk under `path` (`du -sk`, so block-rounded like a user's disk). */
function diskBytes(path: string): number {
  return Number(execFileSync("du", ["-sk", path], { encoding: "utf8" }).split("\t")[0]) * 1024;
}

/** Top-level packages of a node_modules folder (scoped ones expanded) with their size on disk, biggest first. */
function packageSizes(nodeModules: string): Array<{ name: string; bytes: number }> {
  const out: Array<{ name: string; bytes: number }> = [];
  for (const e of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith(".")) continue;
    if (e.name.startsWith("@")) {
      for (const s of readdirSync(join(nodeModules, e.name), { withFileTypes: true })) {
        if (s.isDirectory()) out.push({ name: `${e.name}/${s.name}`, bytes: diskBytes(join(nodeModules, e.name, s.name)) });
      }
    } else out.push({ name: e.name, bytes: diskBytes(join(nodeModules, e.name)) });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}

/** Installs the production dependencies in a temporary folder and measures them; returns MB figures. */
export async function runInstallSizeBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "agentd-bench-install-"));
  try {
    // without `workspaces`: the WhatsApp bridge (bridges/whatsapp, a workspace) is the separate GPL package
    // agentd-whatsapp, not part of agentd's install; its dependencies (Baileys…) would count otherwise. The lock file
    // still pins every version, but `npm ci` refuses a lock that lists a workspace package.json does not.
    const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    delete manifest.workspaces;
    writeFileSync(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
    copyFileSync(join(PACKAGE_ROOT, "package-lock.json"), join(dir, "package-lock.json"));
    const t0 = performance.now();
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    execFileSync(npm, ["install", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    const installMs = performance.now() - t0;
    const nm = join(dir, "node_modules");
    const total = diskBytes(nm);
    const sizes = packageSizes(nm);
    const bundle = existsSync(join(PACKAGE_ROOT, "dist", "bundle")) ? diskBytes(join(PACKAGE_ROOT, "dist", "bundle")) : 0;
    const packed = JSON.parse(execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts", "--loglevel=error"], { cwd: PACKAGE_ROOT, encoding: "utf8" })) as Array<{ unpackedSize: number; entryCount: number }>;
    const pkg = packed[0]?.unpackedSize ?? 0;
    const out = {
      nodeModulesMb: mb(total), packages: sizes.length, packageUnpackedMb: mb(pkg), distBundleMb: mb(bundle),
      totalMb: mb(total + pkg), installSeconds: Math.round(installMs / 100) / 10,
    };
    console.log(`Install size: npm install --omit=dev (daemon and the bridges in the package), ${sizes.length} packages, ${out.installSeconds} s`);
    console.log(row("node_modules on disk (du)", out.nodeModulesMb, "MB", 150));
    console.log(row("the agentd package itself (npm pack, unpacked)", out.packageUnpackedMb, "MB"), `(${packed[0]?.entryCount ?? 0} files)`);
    console.log(row("  of which dist/bundle (what the CLI runs)", out.distBundleMb, "MB"));
    console.log(row("total: dependencies + package", out.totalMb, "MB", 150));
    for (const p of sizes.slice(0, 10)) console.log(row(`  ${p.name}`, mb(p.bytes), "MB"));
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runInstallSizeBench();
