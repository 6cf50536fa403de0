import { createHash, randomBytes } from "node:crypto";
import type { Scope } from "./token-keys.js";

/** How long a login code from `agentd open` / `POST /api/login-codes` stays valid: 60 seconds. */
export const LOGIN_CODE_TTL_MS = 60_000;
/** How long a browser session lasts without use: 7 days (sliding: each use renews it). */
export const WEB_SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/** At most this many browser sessions are kept; the least recently used is dropped beyond it. */
export const MAX_WEB_SESSIONS = 64;

/** A signed-in browser: the scopes of the token it signed in with, and when it expires (ms since epoch). */
export interface WebSession {
  scopes: Scope[];
  expiresAt: number;
}

const sha = (s: string): string => createHash("sha256").update(s, "utf8").digest("base64url");

/**
 * The web app's sign-in state, in memory only (a restart signs browsers out; nothing secret ever touches disk):
 * one-time login codes (32 random bytes, base64url, valid {@link LOGIN_CODE_TTL_MS}) and browser sessions (32
 * random bytes, the cookie value). Both are stored as SHA-256 hashes, so a heap dump gives no usable cookie.
 */
export class WebSessions {
  private codes = new Map<string, { scopes: Scope[]; expiresAt: number }>();
  private sessions = new Map<string, WebSession>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new one-time login code for a holder of `scopes`, and when it expires (ms since epoch). */
  issueCode(scopes: Scope[]): { code: string; expiresAt: number } {
    this.sweep();
    const code = randomBytes(32).toString("base64url");
    const expiresAt = this.now() + LOGIN_CODE_TTL_MS;
    this.codes.set(sha(code), { scopes, expiresAt });
    return { code, expiresAt };
  }

  /** Spends a login code: the scopes it carried, or undefined when unknown, already used or expired. */
  redeemCode(code: string): Scope[] | undefined {
    const key = sha(code);
    const entry = this.codes.get(key);
    this.codes.delete(key);
    if (!entry || entry.expiresAt < this.now()) return undefined;
    return entry.scopes;
  }

  /** Opens a browser session with `scopes`; returns the cookie value (never stored as such). */
  open(scopes: Scope[]): string {
    this.sweep();
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(sha(id), { scopes, expiresAt: this.now() + WEB_SESSION_IDLE_MS });
    while (this.sessions.size > MAX_WEB_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return id;
  }

  /** The live session of a cookie value (renewed), or undefined. */
  lookup(cookie: string | undefined): WebSession | undefined {
    if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
    const key = sha(cookie);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (s.expiresAt < this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    // a Map keeps insertion order: re-inserting makes this the most recently used
    this.sessions.delete(key);
    s.expiresAt = this.now() + WEB_SESSION_IDLE_MS;
    this.sessions.set(key, s);
    return s;
  }

  /** Ends the session of a cookie value (sign out). */
  close(cookie: string | undefined): void {
    if (cookie) this.sessions.delete(sha(cookie));
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, v] of this.codes) if (v.expiresAt < t) this.codes.delete(k);
    for (const [k, v] of this.sessions) if (v.expiresAt < t) this.sessions.delete(k);
  }
}

/**
 * The name of the session cookie of the daemon on `port`: `agentd_session_<port>`. Cookies ignore ports
 * (RFC 6265 §8.5), so two agents on one host would overwrite each other's cookie under one name.
 */
export function sessionCookieName(port: number): string {
  return `agentd_session_${port}`;
}

/** The `Set-Cookie` value of a session: HttpOnly, SameSite=Strict, Path=/, no Max-Age (ends with the browser). */
export function sessionCookie(port: number, value: string): string {
  return `${sessionCookieName(port)}=${value}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The `Set-Cookie` value that removes the session cookie. */
export function clearedSessionCookie(port: number): string {
  return `${sessionCookieName(port)}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/** The value of cookie `name` in a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function cookieValue(header: string | undefined | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
