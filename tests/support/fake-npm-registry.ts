import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import * as tar from "tar";
import { cleanup, tempDir } from "./daemon.js";

/** One package version the fake registry serves: its package.json fields (name, version, bin, repository…). */
export type FakePackage = { name: string; version: string } & Record<string, unknown>;

/** A local npm registry (the packument and tarball routes npm uses), for `npm view`, `npm pack` and `npm install`. */
export interface FakeNpmRegistry {
  /** The registry URL, e.g. `http://127.0.0.1:PORT/` (for `npm_config_registry`). */
  url: string;
  /** Every request path, in order. */
  requests: string[];
  /** Serve another tarball than the one the packument's integrity describes (a tampered download). */
  tamper: boolean;
  close(): Promise<void>;
}

/**
 * Starts a registry serving `packages` (one version each, the latest): `GET /<name>` (scoped names `@s%2fn`)
 * answers the packument with `dist.tarball`, `dist.integrity` (sha512) and `dist.shasum`; `GET /<name>/-/<file>.tgz`
 * answers the tarball, a real npm package (`package/package.json` plus a `cli.js`) built with `tar`.
 */
export async function startFakeNpmRegistry(packages: FakePackage[]): Promise<FakeNpmRegistry> {
  const requests: string[] = [];
  const work = tempDir("agentd-registry-");
  const tarballs = new Map<string, { good: Buffer; bad: Buffer }>();
  const build = async (pkg: FakePackage, extra: string) => {
    const dir = join(work, `${tarballs.size}-${extra}`, "package");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify(pkg, null, 2));
    writeFileSync(join(dir, "cli.js"), `#!/usr/bin/env node\nconsole.log(${JSON.stringify(`${pkg.name} ${pkg.version} ${extra}`)});\n`);
    const file = join(dir, "..", "pkg.tgz");
    await tar.c({ gzip: true, file, cwd: join(dir, ".."), portable: true }, ["package"]);
    return readFileSync(file);
  };
  for (const p of packages) tarballs.set(p.name, { good: await build(p, "good"), bad: await build(p, "tampered") });

  const reg: FakeNpmRegistry = { url: "", requests, tamper: false, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? "").split("?")[0]!);
    requests.push(path);
    const send = (status: number, body: Buffer | string, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    const tgz = /^\/(.+)\/-\/[^/]+\.tgz$/.exec(path);
    if (tgz) {
      const t = tarballs.get(tgz[1]!);
      return t ? send(200, reg.tamper ? t.bad : t.good, "application/octet-stream") : send(404, "{}");
    }
    const pkg = packages.find((p) => `/${p.name}` === path);
    if (!pkg) return send(404, JSON.stringify({ error: "Not found" }));
    const good = tarballs.get(pkg.name)!.good;
    const file = `${pkg.name.split("/").pop()}-${pkg.version}.tgz`;
    const manifest = {
      ...pkg, _id: `${pkg.name}@${pkg.version}`,
      dist: {
        tarball: `${reg.url}${pkg.name}/-/${file}`,
        integrity: `sha512-${createHash("sha512").update(good).digest("base64")}`,
        shasum: createHash("sha1").update(good).digest("hex"),
      },
    };
    send(200, JSON.stringify({ _id: pkg.name, name: pkg.name, "dist-tags": { latest: pkg.version }, versions: { [pkg.version]: manifest }, time: { [pkg.version]: "2026-11-01T00:00:00.000Z" } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  reg.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
  reg.close = async () => {
    await new Promise((r) => server.close(r));
    cleanup(work);
  };
  return reg;
}
