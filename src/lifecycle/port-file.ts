import { writeFileSync, renameSync, rmSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Name of the file where a running daemon publishes its port. */
export const PORT_FILE = ".port";

/** Writes `DIR/.port` atomically (temp file + rename), so a reader never sees a half-written port. */
export function writePortFile(dir: string, port: number): void {
  const tmp = join(dir, `.port.${process.pid}.tmp`);
  writeFileSync(tmp, `${port}\n`, { mode: 0o644 });
  renameSync(tmp, join(dir, PORT_FILE));
}

/** Removes `DIR/.port` if it still holds `port` (another daemon may have taken over the folder). */
export function removePortFile(dir: string, port: number): void {
  const file = join(dir, PORT_FILE);
  try {
    if (Number.parseInt(readFileSync(file, "utf8"), 10) === port) rmSync(file, { force: true });
  } catch {
    /* already gone */
  }
}
