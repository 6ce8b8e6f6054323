/**
 * WebSocket frame encoding, server side (RFC 6455 5.2): a server never masks its frames. Opcodes,
 * frame headers, whole frames, close frames and the close codes an endpoint may use.
 *
 * @module
 */

/**
 * The frame opcodes of RFC 6455 5.2 (3-7 and 0xB-0xF are reserved).
 *
 * @example
 * ```ts
 * import { OPCODE } from "./ws_frames.ts";
 * OPCODE.text; // 1
 * ```
 */
export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

const encoder = new TextEncoder();

/** Bytes of the header of an unmasked frame with a payload of `length` bytes. */
function headerSize(length: number): number {
  return length < 126 ? 2 : length <= 0xffff ? 4 : 10;
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Frame payload length must be a non-negative integer, got ${length}`);
}

/** Writes the header of an unmasked frame at the start of `out`; returns its size. */
function writeHeader(out: Uint8Array, opcode: number, length: number, fin: boolean, rsv1: boolean): number {
  out[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f);
  if (length < 126) {
    out[1] = length;
    return 2;
  }
  if (length <= 0xffff) {
    out[1] = 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
    return 4;
  }
  out[1] = 127;
  const high = Math.floor(length / 0x100000000);
  const low = length >>> 0;
  out[2] = high >>> 24;
  out[3] = (high >>> 16) & 0xff;
  out[4] = (high >>> 8) & 0xff;
  out[5] = high & 0xff;
  out[6] = low >>> 24;
  out[7] = (low >>> 16) & 0xff;
  out[8] = (low >>> 8) & 0xff;
  out[9] = low & 0xff;
  return 10;
}

/**
 * The header of an unmasked frame (2, 4 or 10 bytes) for a payload of `length` bytes.
 *
 * @example
 * ```ts
 * import { frameHeader, OPCODE } from "./ws_frames.ts";
 * frameHeader(OPCODE.text, 5);          // [0x81, 0x05]
 * frameHeader(OPCODE.binary, 300).length; // 4
 * frameHeader(OPCODE.text, 3, false);   // [0x01, 0x03]: a first fragment
 * ```
 */
export function frameHeader(opcode: number, length: number, fin = true, rsv1 = false): Uint8Array {
  checkLength(length);
  const header = new Uint8Array(headerSize(length));
  writeHeader(header, opcode, length, fin, rsv1);
  return header;
}

/**
 * One unmasked frame, header and payload in one buffer (one allocation).
 *
 * @example
 * ```ts
 * import { encodeFrame, OPCODE } from "./ws_frames.ts";
 * encodeFrame(OPCODE.text, new TextEncoder().encode("Hello")); // 81 05 48 65 6c 6c 6f
 * ```
 */
export function encodeFrame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Uint8Array {
  const length = payload.length;
  const out = new Uint8Array(headerSize(length) + length);
  out.set(payload, writeHeader(out, opcode, length, fin, rsv1));
  return out;
}

/**
 * A whole unmasked text frame for `text`, whose UTF-8 is `byteLength` bytes (lone surrogates count
 * as U+FFFD, 3 bytes): the text is encoded straight into the frame (one allocation).
 *
 * @example
 * ```ts
 * import { encodeTextFrame } from "./ws_frames.ts";
 * encodeTextFrame("Hello", 5); // 81 05 48 65 6c 6c 6f
 * ```
 */
export function encodeTextFrame(text: string, byteLength: number): Uint8Array {
  checkLength(byteLength);
  const out = new Uint8Array(headerSize(byteLength) + byteLength);
  encoder.encodeInto(text, out.subarray(writeHeader(out, OPCODE.text, byteLength, true, false)));
  return out;
}

/**
 * A close frame. No `code`: an empty payload (the reason is then ignored). The reason is UTF-8,
 * truncated on a character boundary to fit the 123 bytes a control frame leaves after the code.
 *
 * @example
 * ```ts
 * import { encodeClose } from "./ws_frames.ts";
 * encodeClose(1000);            // 88 02 03 e8
 * encodeClose();                // 88 00
 * encodeClose(1001, "bye").length; // 7
 * ```
 */
export function encodeClose(code?: number, reason = ""): Uint8Array {
  if (code === undefined) return new Uint8Array([0x88, 0]);
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw new RangeError(`A close code is a 16-bit integer, got ${code}`);
  let text = encoder.encode(reason);
  if (text.length > 123) {
    let end = 123;
    // Back up to the start of the character that would be cut.
    while (end > 0 && (text[end] & 0xc0) === 0x80) end--;
    text = text.subarray(0, end);
  }
  const out = new Uint8Array(4 + text.length);
  out[0] = 0x88;
  out[1] = 2 + text.length;
  out[2] = code >>> 8;
  out[3] = code & 0xff;
  out.set(text, 4);
  return out;
}

/**
 * Whether `code` may appear in a close frame (RFC 6455 7.4): 1000-1003, 1007-1014 and 3000-4999.
 * 1004 is reserved, 1005, 1006 and 1015 are for reporting only, and the rest is unassigned.
 *
 * @example
 * ```ts
 * import { isValidCloseCode } from "./ws_frames.ts";
 * isValidCloseCode(1000); // true
 * isValidCloseCode(1005); // false
 * isValidCloseCode(4000); // true
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
