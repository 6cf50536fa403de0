import { readFileSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { PACKAGE_ROOT } from "../../src/version.js";

/**
 * Writes a generated file, or with `--check` on the command line exits 1 when the committed file differs from
 * what would be generated (CI runs the check so generated files never go stale). `regenerate` is the command
 * the error message tells the developer to run.
 */
export function writeOrCheck(file: string, text: string, regenerate: string): void {
  const name = relative(PACKAGE_ROOT, file);
  if (!process.argv.includes("--check")) {
    writeFileSync(file, text);
    process.stdout.write(`wrote ${name}\n`);
    return;
  }
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    /* missing counts as stale */
  }
  if (current !== text) {
    process.stderr.write(`${name} is stale: run \`${regenerate}\` and commit it\n`);
    process.exit(1);
  }
  process.stdout.write(`${name} is up to date\n`);
}
