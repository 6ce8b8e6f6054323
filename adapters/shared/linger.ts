/**
 * Lingering: a connection that sent its last byte keeps reading (and discarding) so the peer reads
 * our response instead of a reset, until the peer closes or the linger time runs out. One shared
 * sweep per adapter ends the overdue ones, instead of a timer per connection (timers held every
 * closed connection for the whole linger time).
 *
 * @module
 */

/** How long a closing connection keeps reading before it is dropped anyway. */
export const LINGER_MS = 2000;

/**
 * The lingering connections of one adapter, each dropped by `expire` once overdue.
 *
 * @example
 * ```ts ignore
 * const lingering = new Lingering<net.Socket>((socket) => socket.destroy(), (timer) => timer.unref());
 * lingering.add(socket); // after socket.end()
 * lingering.delete(socket); // on "close"
 * ```
 */
export class Lingering<T> {
  readonly #deadlines = new Map<T, number>();
  readonly #expire: (item: T) => void;
  readonly #unref: (timer: ReturnType<typeof setInterval>) => void;
  #sweep: ReturnType<typeof setInterval> | undefined;

  /** `expire` drops an overdue connection; `unref` keeps the sweep timer from holding the process open. */
  constructor(expire: (item: T) => void, unref: (timer: ReturnType<typeof setInterval>) => void) {
    this.#expire = expire;
    this.#unref = unref;
  }

  /** Starts the linger time of `item`. */
  add(item: T): void {
    this.#deadlines.set(item, Date.now() + LINGER_MS);
    if (this.#sweep !== undefined) return;
    this.#sweep = setInterval(() => this.#sweepOnce(), LINGER_MS / 4);
    this.#unref(this.#sweep);
  }

  /** `item` closed by itself. */
  delete(item: T): void {
    this.#deadlines.delete(item);
  }

  #sweepOnce(): void {
    const now = Date.now();
    for (const [item, deadline] of this.#deadlines) {
      if (deadline > now) continue;
      this.#deadlines.delete(item);
      this.#expire(item);
    }
    if (this.#deadlines.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
