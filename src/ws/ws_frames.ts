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
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`Frame payload length must be a non-negative integer, got ${length}`);
  const b0 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f);
  if (length < 126) return new Uint8Array([b0, length]);
  if (length <= 0xffff) return new Uint8Array([b0, 126, length >>> 8, length & 0xff]);
  const h = new Uint8Array(10);
  h[0] = b0;
  h[1] = 127;
  const view = new DataView(h.buffer);
  view.setUint32(2, Math.floor(length / 0x100000000));
  view.setUint32(6, length >>> 0);
  return h;
}

/**
 * One unmasked frame, header and payload in one buffer.
 *
 * @example
 * ```ts
 * import { encodeFrame, OPCODE } from "./ws_frames.ts";
 * encodeFrame(OPCODE.text, new TextEncoder().encode("Hello")); // 81 05 48 65 6c 6c 6f
 * ```
 */
export function encodeFrame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false): Uint8Array {
  const header = frameHeader(opcode, payload.length, fin, rsv1);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header);
  out.set(payload, header.length);
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
