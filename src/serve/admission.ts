/**
 * Admission at the connection limit: connections accepted above `connectionLimit` wait here, and
 * connections that serve nobody are picked to make room for them.
 *
 * Rules (README "Limits, timeouts and memory"): a waiting connection's first read is taken (and
 * nothing more), so the server knows who has asked for something. Only those wait for a slot, first
 * come first served; a silent one takes none, and is closed after `headerTimeout`. While one waits,
 * connections that serve nobody are closed, oldest first, one per waiting client: idle keep-alive
 * connections at once; a request head not complete, a body the app waits for, or a response the client
 * does not read, `reclaimTimeout` after it stopped moving.
 *
 * @module
 */

import type { ConnectionEvents, PeerInfo, SocketHandle } from "../platform.ts";

/** What a {@linkcode HeldSocket} tells the server. */
export interface HeldEvents {
  /** The client sent its first bytes (or closed after sending some): it now waits for a slot. */
  spoke(held: HeldSocket): void;
  /** The socket closed, or the client left without a word: forget it (may come twice). */
  gone(held: HeldSocket): void;
}

/**
 * A connection accepted above the connection limit. Its first read is kept (then reading pauses) so
 * the server can tell a client with a request from a silent one; it is handed to a `Connection` when
 * a slot frees up.
 *
 * @example
 * ```ts ignore
 * const held = new HeldSocket(socket, peer, Date.now(), { spoke: (h) => queue.push(h), gone: (h) => forget(h) });
 * // later, when a slot is free:
 * held.activate(new Connection(held.socket, held.peer, config));
 * ```
 */
export class HeldSocket implements ConnectionEvents {
  readonly socket: SocketHandle;
  readonly peer: PeerInfo;
  /** When it was accepted (ms). */
  readonly acceptedAt: number;
  /** It has sent bytes: a client waiting for a slot. */
  spoke = false;
  closed = false;
  #events: HeldEvents;
  #target: ConnectionEvents | undefined;
  #early: Uint8Array[] = [];
  #ended = false;

  constructor(socket: SocketHandle, peer: PeerInfo, acceptedAt: number, events: HeldEvents) {
    this.socket = socket;
    this.peer = peer;
    this.acceptedAt = acceptedAt;
    this.#events = events;
  }

  /** Hands the socket, and what it sent so far, to `target`. */
  activate(target: ConnectionEvents): void {
    this.#target = target;
    this.socket.resumeReading();
    for (const chunk of this.#early.splice(0)) target.onData(chunk);
    if (this.#ended) target.onEnd();
  }

  /** Closes it unserved (shutdown, a full waiting room, a silent client's time is up). */
  drop(): void {
    this.closed = true;
    this.socket.destroy();
  }

  onData(chunk: Uint8Array): void {
    if (this.#target) return this.#target.onData(chunk);
    this.#early.push(chunk);
    // One read tells us enough; the rest stays in the kernel until a slot frees up.
    this.socket.pauseReading();
    if (!this.spoke) {
      this.spoke = true;
      this.#events.spoke(this);
    }
  }

  onEnd(): void {
    if (this.#target) return this.#target.onEnd();
    this.#ended = true;
    if (!this.spoke) {
      // Gone without a word: nothing to answer.
      this.drop();
      this.#events.gone(this);
    }
  }

  onDrain(): void {
    this.#target?.onDrain();
  }

  onClose(error?: unknown, routine?: boolean): void {
    if (this.#target) return this.#target.onClose(error, routine);
    this.closed = true;
    this.#events.gone(this);
  }
}

/** What {@linkcode pickReclaimable} needs of a connection. */
export interface Reclaimable {
  /** From when it may be closed for a waiting client (ms), or `Infinity` while it serves someone. */
  reclaimAt(graceMs: number): number;
}

/**
 * Up to `count` of `connections` that may be closed at `now` for waiting clients, the longest
 * reclaimable first.
 *
 * @example
 * ```ts ignore
 * for (const c of pickReclaimable(connections, Date.now(), 500, waiting)) c.reclaim();
 * ```
 */
export function pickReclaimable<T extends Reclaimable>(connections: Iterable<T>, now: number, graceMs: number, count: number): T[] {
  if (count <= 0) return [];
  const found: [number, T][] = [];
  for (const connection of connections) {
    const at = connection.reclaimAt(graceMs);
    if (at <= now) found.push([at, connection]);
  }
  if (found.length > count) found.sort((a, b) => a[0] - b[0]).length = count;
  return found.map(([, connection]) => connection);
}
