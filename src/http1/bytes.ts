/**
 * Small byte helpers for the wire: Latin-1 encoding and concatenation.
 *
 * @module
 */

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * Whether every character of `text` is ASCII (so its Latin-1, UTF-8 and UTF-16 lengths agree).
 *
 * @example
 * ```ts
 * import { isAscii } from "./bytes.ts";
 * isAscii("héllo"); // false
 * ```
 */
export function isAscii(text: string): boolean {
  return ASCII_ONLY.test(text);
}

/**
 * Encodes a string as Latin-1 (ISO-8859-1) bytes, the encoding of HTTP/1.1 header fields.
 * Characters above U+00FF cannot be represented and throw a `TypeError`.
 *
 * @example
 * ```ts
 * import { encodeLatin1 } from "./bytes.ts";
 * encodeLatin1("HTTP/1.1 200 OK\r\n"); // Uint8Array of 17 bytes
 * ```
 */
export function encodeLatin1(text: string): Uint8Array {
  if (ASCII_ONLY.test(text)) return encoder.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new TypeError(`Cannot encode character U+${code.toString(16).padStart(4, "0")} in a header: header values must be Latin-1`);
    out[i] = code;
  }
  return out;
}

/**
 * Encodes a string as UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { encodeUtf8 } from "./bytes.ts";
 * encodeUtf8("é").length; // 2
 * ```
 */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Concatenates byte arrays into one new array.
 *
 * @example
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[], total = -1): Uint8Array {
  if (total < 0) {
    total = 0;
    for (const part of parts) total += part.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The number of bytes `text` takes in UTF-8.
 *
 * @example
 * ```ts
 * import { utf8Length } from "./bytes.ts";
 * utf8Length("héllo"); // 6
 * ```
 */
export function utf8Length(text: string): number {
  if (ASCII_ONLY.test(text)) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3; // BMP character, or a lone surrogate encoded as U+FFFD
  }
  return n;
}

/**
 * One buffer holding a Latin-1 head followed by a body (UTF-8 text or bytes): a whole response in a
 * single allocation and a single write.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./bytes.ts";
 * encodeMessage("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n", "hi");
 * ```
 */
export function encodeMessage(head: string, body: string | Uint8Array | null, bodyLength: number): Uint8Array {
  const ascii = ASCII_ONLY.test(head);
  const headBytes = ascii ? undefined : encodeLatin1(head);
  const headLength = ascii ? head.length : headBytes!.length;
  const out = allocate(headLength + bodyLength);
  if (ascii) encoder.encodeInto(head, out);
  else out.set(headBytes!);
  if (typeof body === "string") encoder.encodeInto(body, out.subarray(headLength));
  else if (body !== null) out.set(body, headLength);
  return out;
}

const SLAB_SIZE = 64 * 1024;
const POOLED_MAX = 4096;
let slab = new Uint8Array(0);
let slabOffset = 0;

/**
 * A zero-filled-or-not byte array of length `n`, carved from a shared slab for small sizes (a fresh
 * typed array costs an off-heap allocation each time). Slab memory is never handed out twice, so a
 * returned array stays valid for as long as anyone holds it.
 *
 * @example
 * ```ts
 * import { allocate } from "./bytes.ts";
 * const bytes = allocate(100); // may contain garbage: overwrite all of it
 * ```
 */
export function allocate(n: number): Uint8Array {
  if (n > POOLED_MAX) return new Uint8Array(n);
  if (slabOffset + n > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabOffset = 0;
  }
  const out = slab.subarray(slabOffset, slabOffset + n);
  slabOffset = (slabOffset + n + 7) & ~7;
  return out;
}
