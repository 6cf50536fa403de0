import type { Store } from "../store/store.js";
import type { PairedSenderRow, PairingCodeRow } from "../store/approval-queries.js";
import type { ChannelAddress } from "../../protocol/chat.js";
import { ConflictError, NotFoundError } from "../errors.js";
import { shortCode } from "../approvals/service.js";


const iso = (ms: number) => new Date(ms).toISOString();

/** A paired sender on the wire (times ISO 8601). */
export const wireSender = (r: PairedSenderRow) => ({ ...r, createdAt: iso(r.createdAt) });
/** A waiting pairing code on the wire (times ISO 8601). */
export const wireCode = (r: PairingCodeRow) => ({ code: r.code, platform: r.platform, userId: r.userId, userName: r.userName, chatId: r.chatId, expiresAt: iso(r.expiresAt), createdAt: iso(r.createdAt) });

/**
 * Pairing of unknown senders (issue 13): on a channel with `policy: pairing`, a sender who is neither on the
 * allowlist nor paired gets a one-time code ({@link issue}); the owner approves it ({@link approve}: CLI, REST,
 * protocol) and the sender is stored in SQLite (`paired_senders`, not agentd.yaml). A sender holding an unexpired
 * code gets no new one (one code, not one per message). Codes are 8 characters of an unambiguous alphabet.
 */
export class Pairing {
  constructor(private readonly store: Store, private readonly now: () => number = Date.now) {}

  /** Whether the sender of `ch` was approved through pairing. */
  isPaired(ch: Pick<ChannelAddress, "platform" | "userId">): boolean {
    return this.store.approvals.isPaired(ch.platform, ch.userId);
  }

  /**
   * The code for an unknown sender: a new one (`fresh: true`, to send them) or, while their earlier one is
   * unexpired, that one (`fresh: false`: nothing is sent again).
   */
  issue(ch: ChannelAddress, ttlMs: number): { code: string; fresh: boolean; expiresAt: number } {
    const now = this.now();
    const open = this.store.approvals.openCodeOf(ch.platform, ch.userId, now);
    if (open) return { code: open.code, fresh: false, expiresAt: open.expiresAt };
    let code = shortCode(8);
    while (this.store.approvals.code(code)) code = shortCode(8);
    const row: PairingCodeRow = { code, platform: ch.platform, userId: ch.userId, userName: ch.userName ?? null, chatId: ch.chatId, expiresAt: now + ttlMs, usedAt: null, createdAt: now };
    this.store.approvals.addCode(row);
    return { code, fresh: true, expiresAt: row.expiresAt };
  }

  /**
   * Approves the sender who got `code` (case-insensitive; dashes and spaces ignored). Throws `NotFoundError` for
   * an unknown code and `ConflictError` for an expired or already used one.
   */
  approve(rawCode: string, by = "owner"): PairedSenderRow {
    const code = rawCode.replace(/[\s-]/g, "").toUpperCase();
    const row = this.store.approvals.code(code);
    if (!row) throw new NotFoundError(`no pairing code ${code}`);
    const now = this.now();
    if (row.usedAt !== null) throw new ConflictError(`pairing code ${code} was already used`);
    if (row.expiresAt <= now) throw new ConflictError(`pairing code ${code} expired; the sender gets a new one with their next message`);
    const sender: PairedSenderRow = { platform: row.platform, userId: row.userId, userName: row.userName, approvedBy: by, createdAt: now };
    this.store.transaction(() => {
      if (!this.store.approvals.useCode(code, now)) throw new ConflictError(`pairing code ${code} was already used`);
      this.store.approvals.addPairedSender(sender);
    });
    return sender;
  }

  /** Removes a paired sender; false when there was none. */
  revoke(platform: string, userId: string): boolean {
    return this.store.approvals.revokePairedSender(platform, userId);
  }

  /** Paired senders and waiting codes. */
  list(): { senders: ReturnType<typeof wireSender>[]; requests: ReturnType<typeof wireCode>[] } {
    return { senders: this.store.approvals.pairedSenders().map(wireSender), requests: this.store.approvals.openCodes(this.now()).map(wireCode) };
  }
}
