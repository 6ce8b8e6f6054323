/**
 * Small byte helpers for the wire: Latin-1 encoding and concatenation.
 *
 * @module
 */

const encoder = new TextEncoder();
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

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
  if (!NON_ASCII.test(text)) return encoder.encode(text);
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
