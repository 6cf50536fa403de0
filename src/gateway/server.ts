import type { Server } from "node:http";
import type { Socket } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { WebSocketServer } from "ws";
import type { Hono } from "hono";
import type { Logger } from "pino";
import { AgentdError } from "../errors.js";
import { serveConnection, type WsDeps } from "./ws-connection.js";
import { cookieValue, sessionCookieName, type WebSessions } from "./web-auth.js";
import { sameOriginRequest } from "./origin-check.js";

/** How many ports after the preferred one are tried when it is busy (the preferred one plus +1 … +99). */
export const PORT_SCAN_RANGE = 100;

/** A listening gateway: the port it got, how many WebSocket clients are open, and `close()`. */
export interface Gateway {
  port: number;
  server: Server;
  wss: WebSocketServer;
  /** Stops accepting, closes WebSocket clients with 1001 (going away) and idle HTTP sockets. */
  close(): Promise<void>;
}

function listenOnce(server: Server, port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve(false);
      else reject(err);
    };
    const onListening = () => {
      server.off("error", onError);
      resolve(true);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, host);
  });
}

/**
 * Serves REST (hono on @hono/node-server) and WebSocket upgrades at `/ws` (ws) on one port: the preferred one,
 * or the first free of the next 99. Resolves once the server accepts connections. Throws an `unavailable`
 * {@link AgentdError} naming the whole range when every port is busy.
 */
export async function startGateway(opts: {
  app: Hono;
  port: number;
  host: string;
  maxFrameBytes: number;
  ws: WsDeps;
  logger: Logger;
  /** Browser sessions and the bound `Host` names of this port: enables cookie-authenticated upgrades. */
  web?: { sessions: WebSessions; bound: (port: number) => Set<string> };
}): Promise<Gateway> {
  const server = createAdaptorServer({ fetch: opts.app.fetch }) as Server;
  server.keepAliveTimeout = 5_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxFrameBytes });
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("upgrade", (req, socket, head) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/ws") {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"error\":{\"code\":\"not_found\",\"message\":\"WebSocket endpoint is /ws\"}}");
      return;
    }
    // a browser always sends Origin on a WebSocket upgrade (RFC 6455 §4.1): only the daemon's own page may connect,
    // from a bound Host name (DNS rebinding); programs (bridges, the CLI) send no Origin and prove the token instead
    const origin = req.headers.origin;
    const site = { host: req.headers.host, origin, fetchSite: undefined };
    if (origin !== undefined && (!opts.web || !sameOriginRequest(site, opts.web.bound(port)))) {
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"error\":{\"code\":\"unauthorized\",\"message\":\"cross-origin WebSocket refused\"}}");
      return;
    }
    const cookie = origin !== undefined ? cookieValue(req.headers.cookie, sessionCookieName(port)) : undefined;
    const webSession = cookie ? opts.web?.sessions.lookup(cookie) : undefined;
    wss.handleUpgrade(req, socket, head, (ws) => serveConnection(ws, { ...opts.ws, webSession }));
  });

  let port = 0;
  for (let p = opts.port; p < opts.port + PORT_SCAN_RANGE && p <= 65535; p++) {
    if (await listenOnce(server, p, opts.host)) {
      port = p;
      break;
    }
    opts.logger.debug({ port: p }, "port busy, trying the next");
  }
  if (port === 0) {
    const last = Math.min(opts.port + PORT_SCAN_RANGE - 1, 65535);
    throw new AgentdError("unavailable", `no free port in ${opts.port}-${last} on ${opts.host} (all ${last - opts.port + 1} are busy)`, { details: { from: opts.port, to: last } });
  }

  return {
    port,
    server,
    wss,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.close(1001, "agentd is stopping");
        wss.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => {
          for (const s of sockets) s.destroy();
        }, 1_000).unref();
      }),
  };
}
