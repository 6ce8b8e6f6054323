/**
 * The server side of the WebSocket opening handshake (RFC 6455 4.2): checking a client's upgrade
 * request, computing `Sec-WebSocket-Accept`, and parsing `Sec-WebSocket-Extensions` offers
 * (RFC 6455 9.1). Pure functions over what the HTTP parser produced.
 *
 * @module
 */

import { isToken } from "../http1/abnf.ts";
import { sha1 } from "./sha1.ts";

/**
 * The GUID RFC 6455 appends to the client's key before hashing it.
 *
 * @example
 * ```ts
 * import { WS_GUID } from "./ws_handshake.ts";
 * WS_GUID.length; // 36
 * ```
 */
export const WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const encoder = new TextEncoder();

/**
 * The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`: base64(sha1(key + GUID)).
 *
 * @example
 * ```ts
 * import { acceptKey } from "./ws_handshake.ts";
 * acceptKey("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export function acceptKey(key: string): string {
  return btoa(String.fromCharCode(...sha1(encoder.encode(key + WS_GUID))));
}

/**
 * The verdict on an upgrade request. `ok`: the key, the offered subprotocols in order and the raw
 * extension offers ("" when none). Otherwise the status to answer with: 426 only for a
 * `Sec-WebSocket-Version` other than 13 (the caller adds `Sec-WebSocket-Version: 13`), 400 for any
 * other bad handshake; `detail` names the header.
 *
 * @example
 * ```ts
 * const c: HandshakeCheck = { ok: false, status: 400, detail: "Sec-WebSocket-Key is missing" };
 * ```
 */
export type HandshakeCheck =
  | { ok: true; key: string; protocols: string[]; extensions: string }
  | { ok: false; status: 400 | 426; detail: string };

/** The values of every `name` field (already lower-case) in a flat name/value list. */
function fieldValues(headers: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i] === name) out.push(headers[i + 1].trim());
  return out;
}

/** The non-empty elements of comma-separated list values, trimmed. */
function listElements(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const part of v.split(",")) {
      const t = part.trim();
      if (t !== "") out.push(t);
    }
  }
  return out;
}

const KEY_SHAPE = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks a client's opening handshake (RFC 6455 4.2.1). `headers` is the flat
 * `[lower-case name, value, ...]` list the HTTP parser produces; `minorVersion` is 0 or 1.
 *
 * @example
 * ```ts
 * import { checkHandshake } from "./ws_handshake.ts";
 * checkHandshake("GET", 1, [
 *   "host", "example.com", "upgrade", "websocket", "connection", "Upgrade",
 *   "sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version", "13",
 * ]); // { ok: true, key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: [], extensions: "" }
 * ```
 */
export function checkHandshake(method: string, minorVersion: number, headers: readonly string[]): HandshakeCheck {
  const bad = (detail: string): HandshakeCheck => ({ ok: false, status: 400, detail });
  if (method !== "GET") return bad(`A WebSocket handshake must be a GET request, not ${method}`);
  if (minorVersion < 1) return bad("A WebSocket handshake needs HTTP/1.1 or later");
  if (!listElements(fieldValues(headers, "upgrade")).some((t) => t.toLowerCase() === "websocket")) {
    return bad("Upgrade must include websocket");
  }
  if (!listElements(fieldValues(headers, "connection")).some((t) => t.toLowerCase() === "upgrade")) {
    return bad("Connection must include upgrade");
  }
  const versions = fieldValues(headers, "sec-websocket-version");
  if (versions.length === 0) return bad("Sec-WebSocket-Version is missing");
  if (versions.length !== 1 || versions[0] !== "13") {
    return { ok: false, status: 426, detail: `Sec-WebSocket-Version ${JSON.stringify(versions.join(", "))} is not supported: only 13 is` };
  }
  const keys = fieldValues(headers, "sec-websocket-key");
  if (keys.length === 0) return bad("Sec-WebSocket-Key is missing");
  if (keys.length > 1) return bad("Sec-WebSocket-Key appears more than once");
  const key = keys[0];
  if (!KEY_SHAPE.test(key)) return bad("Sec-WebSocket-Key must be 16 bytes in base64");
  const protocols = listElements(fieldValues(headers, "sec-websocket-protocol"));
  for (const p of protocols) {
    if (!isToken(p)) return bad(`Sec-WebSocket-Protocol ${JSON.stringify(p)} is not a token`);
  }
  const extensions = fieldValues(headers, "sec-websocket-extensions").filter((v) => v !== "").join(", ");
  return { ok: true, key, protocols, extensions };
}
