/**
 * Issue 17, items 14 and 15: the README's first commands are the fast ones and exactly true, `npm install`'s build
 * is not repeated by npx, the docs cite only files that exist, and the template documents every config key.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Config } from "../src/config/schema.js";
import { CLI, ROOT, cleanup, tempDir } from "./support/daemon.js";

const README = readFileSync(join(ROOT, "README.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { node: string }; bin: { agentd: string }; scripts: Record<string, string> };

/** The fenced code blocks of a markdown text, in order. */
const codeBlocks = (md: string) => [...md.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);

describe("README (item 14)", () => {
  it("starts with the set-up and run commands, then the test command", () => {
    const [setup, test] = codeBlocks(README);
    const lines = setup!.split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter(Boolean);
    expect(lines).toEqual(["npm install", "npm link", "agentd init ./my-agent && agentd start ./my-agent"]);
    expect(test!.trim()).toBe("npm test");
    // nothing but a title and one sentence before them
    expect(README.indexOf("```")).toBeLessThan(README.indexOf("\n## "));
  });

  it("names the Node minimum of package.json engines", () => {
    const min = /(\d+\.\d+)\.0$/.exec(pkg.engines.node)![1];
    expect(README).toContain(`Node ≥ ${min}`);
  });

  it("uses only commands the CLI has, through the linked `agentd` (no npx: ~1 s each)", () => {
    const usage = execFileSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    const commands = new Set([...usage.matchAll(/^ {2}agentd ([a-z]+)/gm)].map((m) => m[1]));
    const used = codeBlocks(README).flatMap((b) => [...b.matchAll(/(^|&& |\$\()\s*(npx )?agentd ([a-z-]+)/gm)]);
    expect(used.length).toBeGreaterThan(5);
    for (const m of used) {
      expect(m[2], m[0]).toBeUndefined();
      expect(commands, m[0]).toContain(m[3]);
    }
  });

  it("says what the first run does and the way around npm link", () => {
    expect(README).toContain(pkg.bin.agentd);
    expect(README).toMatch(/npx agentd/); // explained, with its cost
  });
});

describe("npm install builds once (item 14)", () => {
  /** A project folder with the real prepare script and a build that only leaves a mark. */
  function fixture(): string {
    const dir = tempDir();
    mkdirSync(join(dir, "scripts"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "scripts", "prepare.mjs"), readFileSync(join(ROOT, "scripts", "prepare.mjs")));
    writeFileSync(join(dir, "src", "a.ts"), "export {};\n");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "p", private: true, scripts: { build: "mkdir -p dist/bundle/src/cli && node -e \"require('fs').appendFileSync('dist/bundle/src/cli/main.js', '// built\\n')\"" } }));
    return dir;
  }
  const prepare = (dir: string) => spawnSync(process.execPath, ["scripts/prepare.mjs"], { cwd: dir, encoding: "utf8" });
  const builds = (dir: string) => (existsSync(join(dir, "dist/bundle/src/cli/main.js")) ? readFileSync(join(dir, "dist/bundle/src/cli/main.js"), "utf8").split("\n").length - 1 : 0);

  it("package.json's prepare is scripts/prepare.mjs", () => {
    expect(pkg.scripts.prepare).toBe("node scripts/prepare.mjs");
  });

  it("prepare builds a fresh tree, skips a built one (as npx's second prepare) and rebuilds after a source change", () => {
    const dir = fixture();
    try {
      expect(prepare(dir).status).toBe(0);
      expect(builds(dir)).toBe(1);
      const again = prepare(dir);
      expect(again.stdout).toContain("not rebuilding");
      expect(builds(dir)).toBe(1);
      const later = new Date(statSync(join(dir, "dist/bundle/src/cli/main.js")).mtimeMs + 5000);
      utimesSync(join(dir, "src", "a.ts"), later, later);
      expect(prepare(dir).stdout).toContain("src changed since the last build");
      expect(builds(dir)).toBe(2);
    } finally {
      cleanup(dir);
    }
  });
});

describe("docs and template (item 15)", () => {
  it("cite only markdown files that are in the repository", () => {
    const docs = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
    for (const doc of docs) {
      // code (fenced blocks, inline spans) holds examples such as note names (`b%42.md`, `bB.md`), not citations;
      // citations are links and plain-text names, which stay checked
      const text = readFileSync(join(ROOT, doc), "utf8").replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
      for (const m of text.matchAll(/(?<![\w/.:-])((?:[A-Za-z][\w.-]*\/)*[A-Za-z][\w-]*\.md)\b/g)) {
        const name = m[1]!;
        const candidates = [join(ROOT, name), join(ROOT, "docs", name), join(ROOT, doc, "..", name), join(ROOT, "agent-template", name)];
        expect(candidates.some((f) => existsSync(f)), `${doc} cites ${name}`).toBe(true);
      }
    }
  });

  it("agent-template/agentd.yaml documents every config key in its section, providers.*.headers included", () => {
    const template = readFileSync(join(ROOT, "agent-template", "agentd.yaml"), "utf8");
    /** The template's text of a top-level section: from `key:` (or `# key:`) to the next top-level key. */
    const section = (key: string) => {
      const lines = template.split("\n");
      const start = lines.findIndex((l) => new RegExp(`^(# ?)?${key}:`).test(l));
      if (start < 0) return undefined;
      const end = lines.findIndex((l, i) => i > start && /^(# ?)?[a-zA-Z]+:/.test(l) && !/^# ?\s/.test(l));
      return lines.slice(start, end < 0 ? undefined : end).join("\n");
    };
    const missing: string[] = [];
    const unwrap = (s: any) => {
      for (let i = 0; i < 6; i++) {
        const d = s?._zod?.def;
        if (d?.innerType) s = d.innerType;
        else if (d?.type === "pipe") s = d.in;
        else break;
      }
      return s;
    };
    const walk = (schema: any, path: string[], text: string) => {
      const s = unwrap(schema);
      const def = s?._zod?.def;
      if (def?.type === "record") return walk(def.valueType, [...path, "*"], text);
      if (!def?.shape) return;
      for (const k of Object.keys(def.shape)) {
        if (!new RegExp(`(^|[\\s{,#])${k}:`, "m").test(text)) missing.push([...path, k].join("."));
        walk(def.shape[k], [...path, k], text);
      }
    };
    for (const key of Object.keys((Config as any)._zod.def.shape)) {
      const text = section(key);
      if (text === undefined) missing.push(key);
      else walk((Config as any)._zod.def.shape[key], [key], text);
    }
    expect(missing).toEqual([]);
  });
});
