import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
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

describe("acquireLock takeover", () => {
  const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!;

  it("takes over a lock that holds no pid, and one whose takeover was left by a process that died midway", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    writeFileSync(join(dir, LOCK_FILE), "");
    acquireLock(dir)();
    const dead = deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${dead}\n`);
    writeFileSync(join(dir, `${LOCK_FILE}.takeover-${dead}`), `${deadPid()}\n`);
    const release = acquireLock(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(`${process.pid}\n`);
    expect(readdirSync(dir)).toEqual([LOCK_FILE]); // no takeover or temporary file left behind
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("leaves a stale lock to the live process taking it over, then reports that process", () => {
    const dir = mkdtempSync(join(tmpdir(), "lock-"));
    const dead = deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${dead}\n`);
    writeFileSync(join(dir, `${LOCK_FILE}.takeover-${dead}`), `${process.ppid}\n`); // a live process mid-takeover
    expect(() => acquireLock(dir)).toThrow(/another process is taking it over/);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8")).toBe(`${dead}\n`); // not deleted behind its back
  });
});
