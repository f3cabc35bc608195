import type { Clock, Logger } from '../../core/index.js';
import { type Principal, samePrincipal } from './principal.js';
import type { SessionTransport } from './session-transport.js';

interface Session {
  transport: SessionTransport;
  /** Who opened it: only requests from the same principal may use it. */
  owner: Principal;
  /** Whose place of the per-caller cap it holds (`limitedCaller` of its owner). */
  cap: string;
  lastSeen: number;
}

/** Options of a {@link SessionRegistry}. */
export interface SessionRegistryOptions {
  /** A session unused this long is closed (the client must initialize again). */
  idleMs: number;
  /** Sessions open at once (initializing ones included); more initializes are refused. */
  maxSessions: number;
  /**
   * Sessions one caller may hold (initializing ones included): an authenticated principal, or one
   * client address of the anonymous one.
   */
  maxPerPrincipal: number;
  clock: Clock;
  logger: Logger;
}

/** Whether an initialize may open a session: `full` at the listener's cap, `caller-full` at the caller's. */
export type InitializeAdmission = 'ok' | 'full' | 'caller-full';

/**
 * The 2025-era sessions of one HTTP listener: who owns each, when it was last used, and how many there
 * may be. A session id presented by anyone but its owner is treated exactly like an unknown one, so
 * the id alone (leaked in a log or a proxy) is not a credential.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, Session>();
  private initializing = 0;
  /** Sessions and initializes per `limitedCaller`: one caller cannot take every place. */
  private readonly perCaller = new Map<string, number>();
  private sweepTimer: unknown;
  /** Set by closeAll: a session added after it (its initialize was under way) is closed at once. */
  private closed = false;
  private readonly sweepEveryMs: number;

  constructor(private readonly options: SessionRegistryOptions) {
    this.sweepEveryMs = Math.min(options.idleMs, 60_000);
    this.sweepTimer = options.clock.setTimeout(() => this.sweep(), this.sweepEveryMs);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** True when this id names an open session (of anyone): the request is 2025-era. */
  has(id: string): boolean {
    return this.sessions.has(id);
  }

  /** The session's transport when it exists and `principal` owns it; marks it used. */
  lookup(id: string, principal: Principal): SessionTransport | undefined {
    const s = this.sessions.get(id);
    if (!s || !samePrincipal(s.owner, principal)) return undefined;
    s.lastSeen = this.options.clock.now();
    return s.transport;
  }

  /**
   * Holds a place for a session about to be initialized by the caller `cap` names (`limitedCaller`:
   * a principal, or one client address group of anonymous callers),
   * unless the listener's or that caller's cap is reached. The place is given back by
   * {@link settleInitialize} once the initialize request is answered.
   */
  tryInitialize(cap: string): InitializeAdmission {
    if (this.sessions.size + this.initializing >= this.options.maxSessions) return 'full';
    if ((this.perCaller.get(cap) ?? 0) >= this.options.maxPerPrincipal) return 'caller-full';
    this.initializing++;
    this.count(cap, 1);
    return 'ok';
  }

  settleInitialize(cap: string): void {
    this.initializing--;
    this.count(cap, -1);
  }

  add(id: string, transport: SessionTransport, owner: Principal, cap: string): void {
    if (this.closed) {
      void transport.close();
      return;
    }
    if (this.sessions.has(id)) return;
    this.sessions.set(id, { transport, owner, cap, lastSeen: this.options.clock.now() });
    this.count(cap, 1);
  }

  /** Forgets a session (closed, deleted or idle); a second call for the same id does nothing. */
  remove(id: string): void {
    const s = this.sessions.get(id);
    if (s === undefined) return;
    this.sessions.delete(id);
    this.count(s.cap, -1);
  }

  private count(cap: string, delta: number): void {
    const n = (this.perCaller.get(cap) ?? 0) + delta;
    if (n > 0) this.perCaller.set(cap, n);
    else this.perCaller.delete(cap);
  }

  /** Stops the idle sweep and closes every session. */
  async closeAll(): Promise<void> {
    this.closed = true;
    this.options.clock.clearTimeout(this.sweepTimer);
    const open = [...this.sessions.values()];
    this.sessions.clear();
    this.perCaller.clear();
    await Promise.allSettled(open.map((s) => s.transport.close()));
  }

  // Clients that vanish without DELETE would otherwise keep their session (and its McpServer) forever.
  // A session whose client holds its GET stream open is in use: the client listens for notifications
  // and may send nothing else for hours. Its stream ends with its token (stream-expiry.ts) or when a
  // keep-alive write fails, and it is counted in the caps like any other; seen now, so a client whose
  // stream dropped has a whole idle timeout to open it again.
  private sweep(): void {
    const { clock, idleMs, logger } = this.options;
    const now = clock.now();
    const cutoff = now - idleMs;
    for (const [id, s] of this.sessions) {
      if (s.transport.listening) s.lastSeen = now;
      if (s.lastSeen > cutoff) continue;
      this.remove(id);
      logger.debug({ idleMs }, 'closing an idle MCP session');
      void s.transport.close();
    }
    this.sweepTimer = clock.setTimeout(() => this.sweep(), this.sweepEveryMs);
  }
}
