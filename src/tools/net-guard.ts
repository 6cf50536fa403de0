import { BlockList, isIP } from "node:net";
import { lookup } from "node:dns/promises";

/**
 * Address ranges `web_fetch` refuses unless `tools.web_fetch.allowPrivateNetwork`: "this network", private
 * (RFC 1918, RFC 4193), shared (RFC 6598), loopback, link-local (RFC 3927, RFC 4291), documentation,
 * benchmarking, multicast and reserved ranges (IANA special-purpose address registries). IPv4-mapped IPv6
 * addresses (`::ffff:127.0.0.1`) are checked as the IPv4 address they carry (node's `BlockList` does this).
 */
const BLOCKED = (() => {
  const b = new BlockList();
  for (const [net, bits] of [
    ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16], ["172.16.0.0", 12],
    ["192.0.0.0", 24], ["192.0.2.0", 24], ["192.88.99.0", 24], ["192.168.0.0", 16], ["198.18.0.0", 15],
    ["198.51.100.0", 24], ["203.0.113.0", 24], ["224.0.0.0", 4], ["240.0.0.0", 4],
  ] as const) b.addSubnet(net, bits, "ipv4");
  for (const [net, bits] of [
    ["::", 128], ["::1", 128], ["64:ff9b::", 96], ["64:ff9b:1::", 48], ["100::", 64], ["2001::", 23], ["2001:db8::", 32],
    ["2002::", 16], ["fc00::", 7], ["fe80::", 10], ["fec0::", 10], ["ff00::", 8],
  ] as const) b.addSubnet(net, bits, "ipv6");
  return b;
})();

/** True when `ip` (an IPv4 or IPv6 literal) is in a range `web_fetch` refuses by default; non-IPs give false. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return false;
  return BLOCKED.check(ip, family === 6 ? "ipv6" : "ipv4");
}

/** Resolves a host name to every address it has (like `dns.lookup` with `all: true`). Injectable for tests. */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** The system resolver (`dns.lookup`, so /etc/hosts counts as it does for every other program). */
export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });
