import { hostname, networkInterfaces } from "node:os";

/**
 * The names a browser may use to reach this daemon (`Host` header values, lower-case, with the port): for a
 * loopback bind `127.0.0.1:PORT`, `localhost:PORT` and `[::1]:PORT`; for another address that address; for a
 * wildcard bind (`0.0.0.0`, `::`) also this machine's host name and the addresses of its network interfaces. Any other `Host` is a DNS-rebinding attempt
 * (a name the attacker controls, resolving to us) and gets no cookie-authenticated access.
 */
export function boundHosts(host: string, port: number): Set<string> {
  const names = new Set<string>();
  const add = (h: string) => names.add(`${h.includes(":") && !h.startsWith("[") ? `[${h}]` : h}:${port}`.toLowerCase());
  const loopback = host === "localhost" || host === "::1" || host.startsWith("127.");
  const wildcard = host === "0.0.0.0" || host === "::";
  if (loopback || wildcard) ["127.0.0.1", "localhost", "::1"].forEach(add);
  if (wildcard) {
    add(hostname());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) add(a.address);
  }
  if (!wildcard) add(host);
  return names;
}

/**
 * Whether a browser request may use the session cookie (the web app's cross-site protections, docs/security.md):
 * `Host` must be a bound name ({@link boundHosts}), and `Origin`, when the browser sends one, must be
 * `http://<that same Host>`. Without an `Origin` (a same-origin GET), `Sec-Fetch-Site` must not name another site.
 * Cookies are not port-scoped (RFC 6265 §8.5) and SameSite treats every port of 127.0.0.1 as one site, so
 * SameSite=Strict alone would let a page on another local port ride the cookie: this check closes that.
 */
export function sameOriginRequest(h: { host?: string | undefined; origin?: string | undefined; fetchSite?: string | undefined }, bound: Set<string>): boolean {
  const host = h.host?.toLowerCase();
  if (!host || !bound.has(host)) return false;
  if (h.origin !== undefined) return h.origin.toLowerCase() === `http://${host}` || h.origin.toLowerCase() === `https://${host}`;
  return h.fetchSite === undefined || h.fetchSite === "same-origin" || h.fetchSite === "none";
}
