/**
 * Incremental UTF-8 validation (RFC 3629), for WebSocket text messages that arrive in pieces
 * (RFC 6455 8.1: an endpoint fails the connection as soon as it sees invalid UTF-8). Rejects
 * overlong forms, UTF-16 surrogates (U+D800-U+DFFF) and code points above U+10FFFF at the first byte
 * that rules them out, the way Autobahn's section 6 expects ("fail fast").
 *
 * @module
 */

/**
 * A UTF-8 validator fed byte ranges one after another.
 *
 * @example
 * ```ts
 * import { Utf8Validator } from "./utf8_validator.ts";
 * const v = new Utf8Validator();
 * v.push(new Uint8Array([0xce, 0xba])); // true ("κ")
 * v.push(new Uint8Array([0xe1]));       // true (could still become a character)
 * v.complete;                           // false: ends inside a character
 * v.push(new Uint8Array([0xc0]));       // false: can never be valid
 * ```
 */
export class Utf8Validator {
  /** Continuation bytes still expected for the current character. */
  #need = 0;
  /** The allowed range of the next continuation byte. */
  #lo = 0x80;
  #hi = 0xbf;
  #failed = false;

  /**
   * Checks `bytes[start, end)` as the continuation of what came before. False as soon as the bytes so
   * far cannot be the beginning of valid UTF-8 (and from then on until {@link reset}).
   *
   * @example
   * ```ts
   * import { Utf8Validator } from "./utf8_validator.ts";
   * new Utf8Validator().push(new Uint8Array([0xed, 0xa0, 0x80])); // false: a surrogate
   * ```
   */
  push(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (this.#failed) return false;
    let need = this.#need;
    let lo = this.#lo;
    let hi = this.#hi;
    let i = start;
    while (i < end) {
      const b = bytes[i++];
      if (need === 0) {
        if (b < 0x80) {
          // ASCII run.
          while (i < end && bytes[i] < 0x80) i++;
          continue;
        }
        if (b >= 0xc2 && b <= 0xdf) need = 1;
        else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          if (b === 0xe0) lo = 0xa0; // no overlong 3-byte form
          else if (b === 0xed) hi = 0x9f; // no surrogates
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          if (b === 0xf0) lo = 0x90; // no overlong 4-byte form
          else if (b === 0xf4) hi = 0x8f; // nothing above U+10FFFF
        } else {
          this.#failed = true;
          return false;
        }
      } else {
        if (b < lo || b > hi) {
          this.#failed = true;
          return false;
        }
        lo = 0x80;
        hi = 0xbf;
        need--;
      }
    }
    this.#need = need;
    this.#lo = lo;
    this.#hi = hi;
    return true;
  }

  /**
   * True when no invalid byte was seen and the bytes so far end on a character boundary.
   *
   * @example
   * ```ts
   * import { Utf8Validator } from "./utf8_validator.ts";
   * const v = new Utf8Validator();
   * v.push(new Uint8Array([0x61]));
   * v.complete; // true
   * ```
   */
  get complete(): boolean {
    return !this.#failed && this.#need === 0;
  }

  /**
   * Starts over, for the next message.
   *
   * @example
   * ```ts
   * import { Utf8Validator } from "./utf8_validator.ts";
   * const v = new Utf8Validator();
   * v.push(new Uint8Array([0xff])); // false
   * v.reset();
   * v.push(new Uint8Array([0x61])); // true
   * ```
   */
  reset(): void {
    this.#need = 0;
    this.#lo = 0x80;
    this.#hi = 0xbf;
    this.#failed = false;
  }
}

/**
 * Whether `bytes` is entirely valid UTF-8 (ending on a character boundary).
 *
 * @example
 * ```ts
 * import { isValidUtf8 } from "./utf8_validator.ts";
 * isValidUtf8(new TextEncoder().encode("héllo")); // true
 * isValidUtf8(new Uint8Array([0xc0, 0xaf]));      // false: overlong "/"
 * ```
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const v = new Utf8Validator();
  return v.push(bytes) && v.complete;
}
