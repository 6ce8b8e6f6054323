/**
 * The request parser's input: fed bytes not yet consumed, kept without copying when possible.
 *
 * @module
 */

const EMPTY = new Uint8Array(0);

/**
 * Bytes `[start, end)` of `bytes` are fed but not consumed. The parser's readers scan them in
 * place and move `start` past what they consumed; positions they keep across calls are relative
 * to `start`, so {@link feed} may move the bytes.
 *
 * Body data is handed out as subarrays ({@link take}): from then on those bytes are never
 * overwritten, so a later feed appends only past `end` or moves to a new allocation.
 *
 * @example
 * ```ts
 * const input = new InputBuffer();
 * input.feed(new Uint8Array([1, 2, 3]));
 * input.take(2); // Uint8Array [1, 2], a view of the fed chunk
 * input.end - input.start; // 1
 * ```
 */
export class InputBuffer {
  /** The bytes; unconsumed from `start` to `end`. */
  bytes: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  /**
   * Whether a feed may write into `bytes`: "borrowed" (the caller's chunk: never), "owned"
   * (allocated here), "lent" (allocated here, and parts of it handed out: only past `end`).
   */
  #ownership: "borrowed" | "owned" | "lent" = "borrowed";

  /**
   * Appends a chunk. The caller must not reuse its memory: when nothing is pending, the chunk
   * itself becomes the buffer (zero copy).
   *
   * @example
   * ```ts
   * new InputBuffer().feed(new TextEncoder().encode("GET"));
   * ```
   */
  feed(chunk: Uint8Array): void {
    const len = chunk.length;
    const start = this.start;
    const end = this.end;
    if (start === end) {
      // Nothing pending: parse straight from the caller's chunk.
      this.bytes = chunk;
      this.start = 0;
      this.end = len;
      this.#ownership = "borrowed";
      return;
    }
    const buf = this.bytes;
    const ownership = this.#ownership;
    if (ownership !== "borrowed" && buf.length - end >= len) {
      // Spare capacity past `end` was never handed out: append in place.
      buf.set(chunk, end);
      this.end = end + len;
      return;
    }
    const pending = end - start;
    if (ownership === "owned" && buf.length >= pending + len) {
      // Nothing of this buffer was handed out: compact in place.
      buf.copyWithin(0, start, end);
      buf.set(chunk, pending);
      this.start = 0;
      this.end = pending + len;
      return;
    }
    // Grow geometrically into a new allocation; memory handed out in "data" events stays intact.
    let cap = 2 * (pending + len);
    if (cap < 1024) cap = 1024;
    const next = new Uint8Array(cap);
    next.set(buf.subarray(start, end), 0);
    next.set(chunk, pending);
    this.bytes = next;
    this.start = 0;
    this.end = pending + len;
    this.#ownership = "owned";
  }

  /**
   * Consumes up to `max` bytes (at least one must be pending) and returns them as a view that
   * stays valid: its bytes are never overwritten.
   *
   * @example
   * ```ts
   * const input = new InputBuffer();
   * input.feed(new Uint8Array([7, 8]));
   * input.take(5).length; // 2
   * ```
   */
  take(max: number): Uint8Array {
    const start = this.start;
    const avail = this.end - start;
    const n = avail < max ? avail : max;
    this.start = start + n;
    if (this.#ownership === "owned") this.#ownership = "lent";
    return this.bytes.subarray(start, start + n);
  }

  /**
   * Drops the buffer once everything in it is consumed, so an idle connection does not pin a
   * large fed chunk.
   *
   * @example
   * ```ts
   * new InputBuffer().releaseIfConsumed();
   * ```
   */
  releaseIfConsumed(): void {
    if (this.start === this.end && this.bytes !== EMPTY) this.clear();
  }

  /**
   * Forgets every byte.
   *
   * @example
   * ```ts
   * new InputBuffer().clear();
   * ```
   */
  clear(): void {
    this.bytes = EMPTY;
    this.start = this.end = 0;
    this.#ownership = "borrowed";
  }
}
