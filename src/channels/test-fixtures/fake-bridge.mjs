// A stand-in bridge process for the supervisor tests. Behaviour from argv[2]:
//   crash     logs a pino line and a plain line, then exits 1 after 50 ms
//   config    exits 78 (unusable configuration)
//   stubborn  ignores SIGTERM and stays up
//   stay      stays up (SIGTERM ends it)
// Every start appends "<pid> <argv[4]> <AGENTD_TOKEN>\n" to the file in argv[3] (argv[4]: the platform, when given).
import { appendFileSync } from "node:fs";

const [mode, startsFile, platform = ""] = process.argv.slice(2);
appendFileSync(startsFile, `${process.pid} ${platform} ${process.env.AGENTD_TOKEN ?? ""}\n`);
process.stdout.write(`${JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, msg: "fake bridge up", mode })}\n`);
process.stderr.write("plain stderr line\n");
if (mode === "crash") setTimeout(() => process.exit(1), 50);
else if (mode === "config") process.exit(78);
else {
  if (mode === "stubborn") process.on("SIGTERM", () => {});
  setInterval(() => {}, 1000);
}
