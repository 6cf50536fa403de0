// `npm install`'s `prepare` step: builds dist/ (npm run build) unless it is already newer than every file it is
// built from. Why: npm runs `prepare` again whenever it installs this folder as a package, and `npx agentd` in a
// clone does exactly that (it links the folder into npm's npx cache): without this check the first `npx agentd`
// rebuilt the whole project for 10 to 40 seconds behind a spinner, right after `npm install` had built it.
// `npm run build` (and `npm test`) always build.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * The newest modification time (ms) of the files under `path`; node_modules, dist and unit tests (`*.test.ts`, not
 * part of the build: tsconfig.build.json excludes them) skipped.
 */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = 0;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name === "dist" || e.name.endsWith(".test.ts")) continue;
    max = Math.max(max, newest(join(path, e.name)));
  }
  return max;
}

const output = "dist/bundle/src/cli/main.js"; // written by the last step of the build (scripts/bundle.mjs)
const inputs = ["src", "protocol", "bridges", "scripts", "tests/support", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"];
const built = existsSync(output) ? statSync(output).mtimeMs : 0;
const stale = inputs.find((p) => newest(p) > built);
if (built > 0 && !stale) {
  console.log(`agentd: ${output} is newer than its sources; not rebuilding (npm run build forces it)`);
} else {
  console.log(built === 0 ? "agentd: building dist/ (npm run build)…" : `agentd: ${stale} changed since the last build; rebuilding dist/…`);
  execSync("npm run build", { stdio: "inherit" });
}
