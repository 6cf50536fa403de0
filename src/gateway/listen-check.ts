import { createServer, type Server } from "node:net";
import { ConfigError } from "../errors.js";
import { PORT_SCAN_RANGE } from "./server.js";

/** How a trial listen ended: listening, the port busy (someone else has it), or refused with an errno code. */
type Trial = "ok" | "busy" | { code: string; message: string };

function tryListen(host: string, port: number): Promise<Trial> {
  return new Promise((resolve) => {
    const server: Server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE") resolve("busy");
      else resolve({ code: err.code ?? "error", message: err.message });
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve("ok")));
  });
}

/**
 * Checks that the daemon could listen with this `server` block, before it is written (issue 17, item 3): the host
 * resolves to an address of this machine (a trial listen on an ephemeral port), and some port of the range the
 * gateway scans (`port` … `port + 99`, see {@link PORT_SCAN_RANGE}) can be bound (not all refused with `EACCES`,
 * e.g. ports below 1024 without privileges). Ports busy with other listeners are fine: the gateway moves on.
 * Throws {@link ConfigError} with the key path (`server.host` or `server.port`) and the system's reason
 * (`getaddrinfo ENOTFOUND x`, `EADDRNOTAVAIL`); resolves when a start would succeed. `file` names the config.
 */
export async function checkListen(server: { host: string; port: number }, file: string): Promise<void> {
  const first = await tryListen(server.host, 0);
  if (first !== "ok" && first !== "busy") {
    const why = first.code === "EADDRNOTAVAIL" ? "is not an address of this machine" : "cannot be listened on";
    throw new ConfigError(file, "server.host", `${JSON.stringify(server.host)} ${why} (${first.message})`);
  }
  let refused: { code: string; message: string } | undefined;
  for (let p = server.port; p < server.port + PORT_SCAN_RANGE && p <= 65535; p++) {
    const trial = await tryListen(server.host, p);
    if (trial === "ok" || trial === "busy") return;
    refused = trial;
  }
  const hint = refused?.code === "EACCES" ? "; ports below 1024 need privileges, use 1024 or above" : "";
  throw new ConfigError(file, "server.port", `no port of ${server.port}-${Math.min(server.port + PORT_SCAN_RANGE - 1, 65535)} can be listened on (${refused?.message ?? "refused"})${hint}`);
}
