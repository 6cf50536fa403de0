import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { acquireLock, LOCK_FILE } from "./lock.js";

describe("acquireLock", () => {
  it("refuses while the holder lives and takes over a stale lock", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    const release = acquireLock(dir);
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}\n`); // a live process that is not us
    expect(() => acquireLock(dir)).toThrow(new RegExp(`pid ${process.ppid}`));
    const dead = spawnSync(process.execPath, ["-e", "process.pid"]).pid!;
    writeFileSync(join(dir, LOCK_FILE), `${dead}\n`);
    const again = acquireLock(dir);
    again();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    release();
  });
});
