/**
 * Byte helpers for the tests, written apart from src/http1/bytes.ts so that a test never checks the
 * server's bytes with the server's own code: Latin-1 text to bytes and back (one char = one byte),
 * and concatenation.
 *
 * @module
 */

/**
 * Bytes of a latin1 string (one char = one byte).
 *
 * @example
 * ```ts
 * latin1Bytes("GET"); // Uint8Array [71, 69, 84]
 * ```
 */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * A latin1 string of bytes (one byte = one char).
 *
 * @example
 * ```ts
 * latin1Text(new Uint8Array([104, 105])); // "hi"
 * ```
 */
export function latin1Text(bytes: Uint8Array): string {
  let s = "";
  // In slices: String.fromCharCode takes its arguments on the stack.
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(bytes.length, i + 8192)) as unknown as number[]);
  }
  return s;
}

/**
 * The byte arrays one after the other, in one new array.
 *
 * @example
 * ```ts
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
