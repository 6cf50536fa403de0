#!/usr/bin/env node
// The `agentd` command. It checks the Node version before it loads anything else, in JavaScript that every Node
// version parses (no const, arrow functions, template strings or import statements): on an old Node the bundle
// itself dies with a SyntaxError before any of its code runs (`node:module` has no `enableCompileCache` before
// 22.1). The minimum is package.json's `engines.node`, the one place it is written. Then it turns on V8's code
// cache (later starts skip compiling the bundle) and loads the real CLI, dist/bundle/src/cli/main.js.
"use strict";
var path = require("path");
var root = path.join(__dirname, "..");
var engines = require(path.join(root, "package.json")).engines.node; // ">=22.1.0"
var need = /(\d+)\.(\d+)\.(\d+)/.exec(engines).slice(1).map(Number);
var have = process.versions.node.split(".").map(Number);
var tooOld = have[0] !== need[0] ? have[0] < need[0] : have[1] !== need[1] ? have[1] < need[1] : have[2] < need[2];
if (tooOld) {
  process.stderr.write(
    "agentd needs Node \u2265 " + need.join(".") + " (you have " + process.versions.node + "): install Node " + need[0] + " LTS or newer\n" +
      "from https://nodejs.org/en/download (or with a version manager: `nvm install " + need[0] + "`, `fnm install " + need[0] + "`,\n" +
      "`volta install node@" + need[0] + "`) and run agentd with it.\n"
  );
  process.exit(1);
}
// `agentd start` (the daemon) runs with glibc malloc settings: one arena and fixed mmap/trim thresholds. Without
// them the daemon's native heap grew ~45 % over a 100,000-turn soak while V8's heap stayed flat (docs/performance.md).
// glibc reads them only when a process starts, so the launcher replaces itself once with them set, before the
// bundle loads: one bare Node start (~35 ms), not a second start of the daemon. The daemon removes them from its
// environment again (src/memory.ts), so MCP servers and tools do not inherit them. The systemd unit sets them
// itself (src/service/unit-files.ts), and then nothing is replaced; AGENTD_NO_MALLOC_ENV=1 turns this off.
var MALLOC_ENV = { MALLOC_ARENA_MAX: "1", MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "131072" };
if (process.argv[2] === "start" && process.platform === "linux" && typeof process.execve === "function" &&
    process.env.MALLOC_ARENA_MAX === undefined && !process.env.AGENTD_NO_MALLOC_ENV) {
  process.execve(process.execPath, [process.execPath].concat(process.execArgv, process.argv.slice(1)),
    Object.assign({}, process.env, MALLOC_ENV, { AGENTD_MALLOC_ENV_SET: "1" }));
}
var nodeModule = require("module");
if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache();
var cli = path.join(root, "dist", "bundle", "src", "cli", "main.js");
// `import()` in a string: a Node that cannot parse dynamic import still reaches the check above
var load = new Function("url", "return import(url)");
load(require("url").pathToFileURL(cli).href).catch(function (err) {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && !require("fs").existsSync(cli)) {
    process.stderr.write("agentd is not built: " + cli + " is missing. Run `npm run build` in " + root + "\n");
  } else {
    process.stderr.write("agentd: " + ((err && err.stack) || err) + "\n");
  }
  process.exit(1);
});
