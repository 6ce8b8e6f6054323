/**
 * What the server knows about one answered request: the input of access logs and statistics.
 *
 * @module
 */

/**
 * One line of an access log, before formatting.
 *
 * @example
 * ```ts
 * import type { AccessRecord } from "./access_record.ts";
 * const record: AccessRecord = {
 *   remoteAddress: "127.0.0.1", method: "GET", target: "/", httpVersion: "HTTP/1.1", status: 200,
 *   bodyBytes: 11, startTime: Date.now(), durationMs: 0.4, referer: undefined, userAgent: "curl/8", host: "localhost",
 * };
 * ```
 */
export interface AccessRecord {
  /** Client address after trusted-proxy handling (`""` on a unix socket). */
  remoteAddress: string;
  /** Request method, or `"-"` when the request line could not be parsed. */
  method: string;
  /** Raw request-target, or `"-"`. */
  target: string;
  /** `"HTTP/1.0"`/`"HTTP/1.1"`, or `"-"`. */
  httpVersion: string;
  /** Status code sent. */
  status: number;
  /** Body bytes sent (excluding the head and chunk framing). */
  bodyBytes: number;
  /** When the request head was complete (ms since the epoch). */
  startTime: number;
  /** Milliseconds from the complete head to the last byte queued. */
  durationMs: number;
  /** `Referer` header, if any. */
  referer: string | undefined;
  /** `User-Agent` header, if any. */
  userAgent: string | undefined;
  /** `Host` header (or absolute-form authority), `""` when absent. */
  host: string;
}
