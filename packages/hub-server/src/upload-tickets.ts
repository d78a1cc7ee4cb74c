import { randomBytes } from 'node:crypto';
import { HubError, retryLater } from './errors.js';

/** An LFS upload the batch API handed out: the upload URL's capability, good for one object, for a while. */
export interface UploadTicket {
  id: string;
  repo: string;
  /** Who asked for it; uploads with the ticket count against this user's limits. */
  user: string;
  oid: string;
  size: number;
  expires: number;
  /** For multipart uploads: the part size and count, and the ETag of each part received so far. */
  multipart?: { partSize: number; partCount: number; etags: Map<number, string> };
}

export interface UploadTicketOptions {
  ttlMs: number;
  perUser: number;
  total: number;
  /** Called once for every ticket that leaves the book (completed, expired or dropped): free its parts. */
  onRemove: (ticket: UploadTicket) => void;
  now?: () => number;
}

/**
 * Pending upload tickets. Every ticket lives the same TTL, so insertion order is expiry order: expired
 * tickets are popped off the front of one Map, O(1) per ticket, when a ticket is issued or looked up and
 * from a timer, never by sweeping the whole pool. Each user holds at most `perUser` tickets, so one user
 * cannot exhaust the pool for the others; the pool as a whole holds at most `total`.
 */
export class UploadTickets {
  private tickets = new Map<string, UploadTicket>();
  private perUser = new Map<string, number>();
  private timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: UploadTicketOptions) {
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.expire(), Math.min(60_000, Math.max(1000, opts.ttlMs / 4)));
    this.timer.unref();
  }

  get size(): number {
    return this.tickets.size;
  }

  issue(t: Omit<UploadTicket, 'id' | 'expires'>): UploadTicket {
    this.expire();
    const held = this.perUser.get(t.user) ?? 0;
    if (held >= this.opts.perUser)
      throw retryLater(
        429,
        'TooManyUploads',
        `User '${t.user}' has ${held} uploads pending, the most one user may hold; finish or let them expire, then retry`,
        this.untilOldestExpires(),
      );
    if (this.tickets.size >= this.opts.total)
      throw retryLater(
        503,
        'TooManyUploads',
        'The server has too many uploads pending; retry later',
        this.untilOldestExpires(),
      );
    const ticket: UploadTicket = {
      ...t,
      id: randomBytes(24).toString('base64url'),
      expires: this.now() + this.opts.ttlMs,
    };
    this.tickets.set(ticket.id, ticket);
    this.perUser.set(t.user, held + 1);
    return ticket;
  }

  /** The live ticket for an upload URL, or 404. */
  get(id: string): UploadTicket {
    this.expire();
    const t = this.tickets.get(id);
    if (!t)
      throw new HubError(
        404,
        'UploadNotFound',
        'Unknown or expired upload URL; request a new one from the LFS batch API',
      );
    return t;
  }

  /** Whether the ticket is still pending (not completed, expired or dropped). */
  has(id: string): boolean {
    return this.tickets.has(id);
  }

  /** Removes a ticket (its upload completed or failed for good). */
  remove(id: string): void {
    const t = this.tickets.get(id);
    if (!t) return;
    this.tickets.delete(id);
    const held = (this.perUser.get(t.user) ?? 1) - 1;
    if (held <= 0) this.perUser.delete(t.user);
    else this.perUser.set(t.user, held);
    this.opts.onRemove(t);
  }

  /** Drops every ticket of a repo (it was deleted) and returns them. O(pool), for a rare event. */
  removeRepo(repo: string): UploadTicket[] {
    const gone = [...this.tickets.values()].filter((t) => t.repo === repo);
    for (const t of gone) this.remove(t.id);
    return gone;
  }

  /** Pops expired tickets off the front: amortised O(1) per ticket ever issued. */
  expire(): void {
    const now = this.now();
    for (const t of this.tickets.values()) {
      if (t.expires > now) break;
      this.remove(t.id);
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const t of [...this.tickets.values()]) this.remove(t.id);
  }

  private untilOldestExpires(): number {
    const first = this.tickets.values().next().value as UploadTicket | undefined;
    return first ? Math.max(1000, first.expires - this.now()) : 1000;
  }
}
