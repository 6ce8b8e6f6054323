/**
 * The sans-IO WebSocket frame reader (RFC 6455 5): client bytes in, events out, pulled one at a time
 * like the HTTP parser's. It checks masking, reserved bits and opcodes, control-frame rules,
 * fragmentation, close payloads, UTF-8 of text messages (incrementally: an invalid byte fails the
 * connection as soon as it arrives, before the frame or the message ends) and the message limits,
 * which are checked from each frame header before any payload is buffered.
 *
 * A frame whose payload is within one fed chunk is unmasked in place there (the caller gives up the
 * memory) and kept as a view: a message that arrives in one chunk is returned without a copy. A
 * payload spread over chunks is copied into a buffer that grows with the bytes received (never to
 * more than twice them, nor beyond the frame's length), so a header that claims a large payload
 * costs nothing until the bytes come.
 *
 * @module
 */

import { concatBytes } from "../http1/bytes.ts";
import { isValidCloseCode } from "./ws_frames.ts";
import { Utf8Validator } from "./utf8_validator.ts";

/**
 * The reader's bounds.
 *
 * @example
 * ```ts
 * const limits: WsReaderLimits = { maxMessageSize: 16 * 1024 * 1024, maxFragments: 1024 };
 * ```
 */
export interface WsReaderLimits {
  /** The largest message, in payload bytes summed over its fragments (compressed size when compressed). */
  maxMessageSize: number;
  /** The most frames one data message may span. */
  maxFragments: number;
}

/**
 * What the reader produced. `error` means the connection must fail with that close code; nothing
 * follows an error or a close.
 *
 * @example
 * ```ts
 * const e: WsEvent = { type: "close", code: 1000, reason: "" };
 * ```
 */
export type WsEvent =
  | { type: "text"; data: Uint8Array; compressed: boolean }
  | { type: "binary"; data: Uint8Array; compressed: boolean }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string }
  | { type: "error"; code: 1002 | 1007 | 1009; detail: string };

const HEADER = 0;
const PAYLOAD = 1;
const DONE = 2;

const EMPTY = new Uint8Array(0);
/**
 * A payload split across reads is gathered in a buffer of its whole length up to this size (one copy),
 * beyond it grown as its bytes arrive: a header that declares a large frame reserves no more than this.
 */
const FIRST_BUFFER = 64 * 1024;
/** The platform's byte order, for unmasking 32 bits at a time. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Where the masking key sits in the reader's header buffer, after the longest header (14 bytes). */
const KEY_AT = 14;
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Decodes client frames into {@link WsEvent}s.
 *
 * @example
 * ```ts
 * import { WsReader } from "./ws_reader.ts";
 * const reader = new WsReader({ maxMessageSize: 1 << 20, maxFragments: 64 });
 * // A masked "Hello" text frame (RFC 6455 5.7).
 * reader.feed(new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]));
 * reader.next(); // { type: "text", data: <"Hello">, compressed: false }
 * reader.next(); // null: more bytes needed
 * ```
 */
export class WsReader {
  readonly #maxMessageSize: number;
  readonly #maxFragments: number;
  readonly #allowRsv1: boolean;

  // Input: a queue of chunks, consumed from #chunks[#ci] at #off.
  #chunks: Uint8Array[] = [];
  #ci = 0;
  #off = 0;
  #input = 0;

  #state = HEADER;
  // The frame header being read (up to 14 bytes), then the frame's masking key at KEY_AT: one small
  // buffer per connection.
  readonly #hdr = new Uint8Array(KEY_AT + 4);
  #hdrLen = 0;
  #hdrNeed = 2;
  #fin = false;
  #opcode = 0;
  #payloadLen = 0;
  #remaining = 0;
  #maskPos = 0;

  // The data message in progress (#msgOpcode 0: none).
  #msgOpcode = 0;
  #msgCompressed = false;
  #msgFragments = 0;
  #msgParts: Uint8Array[] = [];
  #msgLen = 0;
  #validate = false;
  /** Made at the first text message. */
  #utf8: Utf8Validator | undefined;

  // The payload of the frame in progress when it arrives in several chunks: copied (and unmasked)
  // into a buffer that grows by doubling up to the frame's length, so that memory follows the bytes
  // received (not the length a header claims) and tiny chunks do not pile up as tiny arrays.
  #frameBuf: Uint8Array | null = null;
  #frameFill = 0;
  // The payload of a frame that arrived in one chunk: a view of that chunk.
  #framePart: Uint8Array | null = null;

  /**
   * `options.allowRsv1`: permessage-deflate was negotiated, so RSV1 may be set on the first frame of
   * a data message (it marks the message compressed).
   *
   * @example
   * ```ts
   * import { WsReader } from "./ws_reader.ts";
   * new WsReader({ maxMessageSize: 1 << 20, maxFragments: 64 }, { allowRsv1: true });
   * ```
   */
  constructor(limits: WsReaderLimits, options: { allowRsv1?: boolean } = {}) {
    this.#maxMessageSize = limits.maxMessageSize;
    this.#maxFragments = limits.maxFragments;
    this.#allowRsv1 = options.allowRsv1 === true;
  }

  /**
   * Hands the reader more bytes. It may keep a reference and unmask them in place: the caller must
   * not reuse the memory. Ignored after an error or a close.
   *
   * @example
   * ```ts
   * import { WsReader } from "./ws_reader.ts";
   * const reader = new WsReader({ maxMessageSize: 1 << 20, maxFragments: 64 });
   * reader.feed(new Uint8Array([0x89, 0x80, 1, 2, 3, 4])); // a masked empty ping
   * reader.next(); // { type: "ping", data: <empty> }
   * ```
   */
  feed(chunk: Uint8Array): void {
    if (this.#state === DONE || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#input += chunk.length;
  }

  /**
   * Bytes held: fed and not yet consumed, plus the header bytes and payload of the frame, message and
   * control frame in progress.
   *
   * @example
   * ```ts
   * import { WsReader } from "./ws_reader.ts";
   * const reader = new WsReader({ maxMessageSize: 1 << 20, maxFragments: 64 });
   * reader.feed(new Uint8Array([0x81]));
   * reader.bufferedBytes; // 1
   * ```
   */
  get bufferedBytes(): number {
    return this.#input + this.#hdrLen + this.#msgLen + this.#frameFill;
  }

  /**
   * The next event, or null when more bytes are needed. After an `error` or a `close` event it
   * returns null forever (bytes after a close frame are ignored).
   *
   * @example
   * ```ts
   * import { WsReader } from "./ws_reader.ts";
   * const reader = new WsReader({ maxMessageSize: 1 << 20, maxFragments: 64 });
   * reader.feed(new Uint8Array([0x81, 0x00])); // unmasked
   * reader.next(); // { type: "error", code: 1002, detail: "..." }
   * reader.next(); // null
   * ```
   */
  next(): WsEvent | null {
    for (;;) {
      if (this.#state === HEADER) {
        if (!this.#readHeader()) return null;
        const err = this.#startFrame();
        if (err !== null) return err;
        if (this.#remaining === 0) {
          const ev = this.#endFrame();
          if (ev !== null) return ev;
          continue;
        }
        this.#state = PAYLOAD;
      }
      if (this.#state === PAYLOAD) {
        if (this.#input === 0) return null;
        const err = this.#readPayload();
        if (err !== null) return err;
        if (this.#remaining > 0) continue;
        this.#state = HEADER;
        const ev = this.#endFrame();
        if (ev !== null) return ev;
        continue;
      }
      return null;
    }
  }

  // ---- input ------------------------------------------------------------------------------

  /** Moves header bytes into #hdr until #hdrNeed are there; true when the header is complete. */
  #readHeader(): boolean {
    for (;;) {
      while (this.#hdrLen < this.#hdrNeed) {
        if (this.#input === 0) return false;
        const chunk = this.#chunks[this.#ci];
        let off = this.#off;
        while (off < chunk.length && this.#hdrLen < this.#hdrNeed) this.#hdr[this.#hdrLen++] = chunk[off++];
        this.#input -= off - this.#off;
        this.#advance(chunk, off);
      }
      if (this.#hdrLen === 2) {
        const more = this.#checkFirstBytes();
        if (more < 0) return true; // an error: #startFrame reports it
        this.#hdrNeed = 2 + more;
        if (more > 0) continue;
      }
      return true;
    }
  }

  /** Sets the read position to `off` in the current chunk, dropping it when used up. */
  #advance(chunk: Uint8Array, off: number): void {
    if (off < chunk.length) {
      this.#off = off;
      return;
    }
    this.#off = 0;
    this.#chunks[this.#ci++] = EMPTY;
    if (this.#ci === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#ci = 0;
    } else if (this.#ci >= 64 && this.#ci * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#ci);
      this.#ci = 0;
    }
  }

  // ---- frame header -------------------------------------------------------------------------

  #pendingError: WsEvent | null = null;

  /** Checks the first two header bytes; returns how many more header bytes follow, or -1 on an error. */
  #checkFirstBytes(): number {
    const b0 = this.#hdr[0];
    const b1 = this.#hdr[1];
    const opcode = b0 & 0x0f;
    const fin = (b0 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    const control = opcode >= 8;
    const fail = (code: 1002 | 1009, detail: string): number => {
      this.#pendingError = { type: "error", code, detail };
      return -1;
    };
    if ((b0 & 0x30) !== 0) return fail(1002, "A frame has the reserved bit RSV2 or RSV3 set");
    if ((b0 & 0x40) !== 0) {
      if (!this.#allowRsv1) return fail(1002, "A frame has the reserved bit RSV1 set and no extension was negotiated");
      if (control || opcode === 0) return fail(1002, "RSV1 is set on a frame that is not the first frame of a data message");
    }
    if ((opcode > 2 && opcode < 8) || opcode > 10) return fail(1002, `A frame has the reserved opcode ${opcode}`);
    if (control) {
      if (!fin) return fail(1002, "A control frame is fragmented (FIN is not set)");
      if (len7 > 125) return fail(1002, "A control frame's payload is longer than 125 bytes");
    }
    if ((b1 & 0x80) === 0) return fail(1002, "A client frame is not masked");
    if (opcode === 0 && this.#msgOpcode === 0) return fail(1002, "A continuation frame arrived with no message in progress");
    if ((opcode === 1 || opcode === 2) && this.#msgOpcode !== 0) {
      return fail(1002, "A new data message started before the fragmented message in progress ended");
    }
    if (!control && this.#msgFragments + 1 > this.#maxFragments) {
      return fail(1009, `A message has more than maxFragments (${this.#maxFragments}) fragments`);
    }
    return (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4;
  }

  /** The header is complete (or failed): sets up the frame. Returns an error event or null. */
  #startFrame(): WsEvent | null {
    const fail = (e: WsEvent): WsEvent => {
      this.#finish();
      return e;
    };
    if (this.#pendingError !== null) return fail(this.#pendingError);
    const h = this.#hdr;
    const b0 = h[0];
    const len7 = h[1] & 0x7f;
    let length = len7;
    let p = 2;
    if (len7 === 126) {
      length = (h[2] << 8) | h[3];
      p = 4;
    } else if (len7 === 127) {
      if ((h[2] & 0x80) !== 0) return fail({ type: "error", code: 1002, detail: "A frame's 64-bit payload length has its most significant bit set" });
      length = ((h[2] << 24) | (h[3] << 16) | (h[4] << 8) | h[5]) * 0x100000000 + (((h[6] << 24) | (h[7] << 16) | (h[8] << 8) | h[9]) >>> 0);
      p = 10;
    }
    h[KEY_AT] = h[p];
    h[KEY_AT + 1] = h[p + 1];
    h[KEY_AT + 2] = h[p + 2];
    h[KEY_AT + 3] = h[p + 3];
    this.#maskPos = 0;
    this.#hdrLen = 0;
    this.#hdrNeed = 2;

    const opcode = b0 & 0x0f;
    this.#opcode = opcode;
    this.#fin = (b0 & 0x80) !== 0;
    this.#payloadLen = length;
    this.#remaining = length;
    if (opcode >= 8) {
      if (opcode === 8 && length === 1) return fail({ type: "error", code: 1002, detail: "A close frame has a 1-byte payload (a close code takes 2)" });
      return null;
    }
    if (this.#msgLen + length > this.#maxMessageSize) {
      return fail({ type: "error", code: 1009, detail: `A message is larger than maxMessageSize (${this.#maxMessageSize} bytes)` });
    }
    if (opcode !== 0) {
      this.#msgOpcode = opcode;
      this.#msgCompressed = (b0 & 0x40) !== 0;
      this.#validate = opcode === 1 && !this.#msgCompressed;
      if (this.#validate) (this.#utf8 ??= new Utf8Validator()).reset();
    }
    this.#msgFragments++;
    return null;
  }

  // ---- payload ------------------------------------------------------------------------------

  /** Unmasks and takes the payload bytes available (from the current chunk). Returns an error or null. */
  #readPayload(): WsEvent | null {
    const chunk = this.#chunks[this.#ci];
    const start = this.#off;
    const take = Math.min(this.#remaining, chunk.length - start);
    const end = start + take;
    let part: Uint8Array;
    if (this.#frameBuf === null && take === this.#payloadLen) {
      // The whole payload is here: unmask it in place and keep the view.
      part = chunk.subarray(start, end);
      unmask(part, this.#hdr, 0);
      this.#framePart = part;
    } else {
      const fill = this.#frameFill + take;
      let buf = this.#frameBuf;
      if (buf === null || fill > buf.length) {
        const grown = new Uint8Array(Math.min(this.#payloadLen, Math.max(fill, 2 * (buf?.length ?? 0), FIRST_BUFFER)));
        if (buf !== null) grown.set(buf.subarray(0, this.#frameFill));
        this.#frameBuf = buf = grown;
      }
      part = buf.subarray(this.#frameFill, fill);
      part.set(chunk.subarray(start, end));
      this.#maskPos = unmask(part, this.#hdr, this.#maskPos);
      this.#frameFill = fill;
    }
    this.#input -= take;
    this.#remaining -= take;
    this.#advance(chunk, end);
    if (this.#validate && this.#opcode < 8 && !this.#utf8!.push(part)) {
      this.#finish();
      return { type: "error", code: 1007, detail: "A text message is not valid UTF-8" };
    }
    return null;
  }

  /** The frame's payload is complete: its event, if it ends a message or is a control frame. */
  #endFrame(): WsEvent | null {
    const payload = this.#framePart ?? (this.#frameBuf === null ? EMPTY : this.#frameBuf.subarray(0, this.#frameFill));
    this.#framePart = null;
    this.#frameBuf = null;
    this.#frameFill = 0;
    const opcode = this.#opcode;
    if (opcode >= 8) {
      if (opcode === 9) return { type: "ping", data: payload.length === 0 ? new Uint8Array(0) : payload };
      if (opcode === 10) return { type: "pong", data: payload.length === 0 ? new Uint8Array(0) : payload };
      return this.#close(payload);
    }
    if (payload.length > 0) {
      this.#msgParts.push(payload);
      this.#msgLen += payload.length;
    }
    if (!this.#fin) return null;
    if (this.#validate && !this.#utf8!.complete) {
      this.#finish();
      return { type: "error", code: 1007, detail: "A text message ends inside a UTF-8 character" };
    }
    const data = join(this.#msgParts, this.#msgLen);
    const type = this.#msgOpcode === 1 ? "text" : "binary";
    const compressed = this.#msgCompressed;
    this.#msgParts = [];
    this.#msgLen = 0;
    this.#msgOpcode = 0;
    this.#msgFragments = 0;
    this.#msgCompressed = false;
    this.#validate = false;
    return { type, data, compressed };
  }

  #close(data: Uint8Array): WsEvent {
    this.#finish();
    if (data.length === 0) return { type: "close", code: 1005, reason: "" };
    const code = (data[0] << 8) | data[1];
    if (!isValidCloseCode(code)) return { type: "error", code: 1002, detail: `A close frame has the invalid close code ${code}` };
    const reason = data.subarray(2);
    const v = new Utf8Validator();
    if (!v.push(reason) || !v.complete) return { type: "error", code: 1007, detail: "A close frame's reason is not valid UTF-8" };
    return { type: "close", code, reason: decoder.decode(reason) };
  }

  /** No more events: drops everything held. */
  #finish(): void {
    this.#state = DONE;
    this.#chunks = [];
    this.#ci = 0;
    this.#off = 0;
    this.#input = 0;
    this.#hdrLen = 0;
    this.#msgParts = [];
    this.#msgLen = 0;
    this.#frameBuf = null;
    this.#frameFill = 0;
    this.#framePart = null;
  }
}

/** One buffer from `parts` (`total` bytes): the part itself when there is one. */
function join(parts: Uint8Array[], total: number): Uint8Array {
  return parts.length === 1 ? parts[0] : concatBytes(parts, total);
}

/**
 * XORs `data` in place with the masking key (at `hdr[KEY_AT]`), starting at key byte `pos`; returns
 * the key position after it.
 * Long runs go 32 bits at a time where the buffer is aligned.
 */
function unmask(data: Uint8Array, hdr: Uint8Array, pos: number): number {
  const n = data.length;
  let i = 0;
  if (n >= 32) {
    // Bytes up to a 4-byte boundary of the underlying buffer.
    const lead = (4 - (data.byteOffset & 3)) & 3;
    for (; i < lead; i++) data[i] ^= hdr[KEY_AT + ((pos + i) & 3)];
    const words = (n - i) >>> 2;
    // The key as one 32-bit word in the platform's byte order, starting at key byte pos + i.
    const k0 = hdr[KEY_AT + ((pos + i) & 3)], k1 = hdr[KEY_AT + ((pos + i + 1) & 3)];
    const k2 = hdr[KEY_AT + ((pos + i + 2) & 3)], k3 = hdr[KEY_AT + ((pos + i + 3) & 3)];
    const m32 = LITTLE_ENDIAN ? (k0 | (k1 << 8) | (k2 << 16) | (k3 << 24)) >>> 0 : ((k0 << 24) | (k1 << 16) | (k2 << 8) | k3) >>> 0;
    const w = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let k = 0; k < words; k++) w[k] ^= m32;
    i += words * 4;
  }
  for (; i < n; i++) data[i] ^= hdr[KEY_AT + ((pos + i) & 3)];
  return (pos + n) & 3;
}
