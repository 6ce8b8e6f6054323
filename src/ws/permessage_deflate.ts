/**
 * permessage-deflate negotiation (RFC 7692 §5 and §7.1): reads a client's `Sec-WebSocket-Extensions`
 * offers (the RFC 6455 §9.1 grammar), picks the first acceptable permessage-deflate offer and says what
 * the server answers and what both sides agreed. Pure: no runtime, no zlib (the codec is the
 * {@linkcode DeflatePort} of src/platform.ts).
 *
 * @module
 */

/** What both sides agreed for one connection's permessage-deflate. */
export interface DeflateParams {
  /** The server starts every message with an empty LZ77 window (it resets its compressor). */
  serverNoContextTakeover: boolean;
  /** The client starts every message with an empty window: the server may reset its decompressor. */
  clientNoContextTakeover: boolean;
  /** The server compresses with at most 2^bits bytes of window, 8..15 (negotiation never agrees to 8). */
  serverMaxWindowBits: number;
  /** The client compresses with at most 2^bits bytes of window, 8..15. */
  clientMaxWindowBits: number;
}

/** What the server wants of permessage-deflate (every field defaults to false). */
export interface DeflatePolicy {
  /** Reset the server's compressor after every message (less memory per idle connection, a worse ratio). */
  serverNoContextTakeover?: boolean;
  /**
   * Ask the client to reset its compressor after every message (always agreeable: the server may
   * include `client_no_context_takeover` in any response). Needed when the server's decompressor
   * cannot keep a window between messages.
   */
  clientNoContextTakeover?: boolean;
}

/** One extension of a `Sec-WebSocket-Extensions` value: its name and its parameters in order (value `null` when absent). */
export interface ExtensionOffer {
  /** The extension's token, lower-cased. */
  name: string;
  /** Its parameters: names lower-cased, values unquoted. */
  params: [name: string, value: string | null][];
}

// RFC 7230 tchar.
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1: `extension *( "," extension )`, each
 * `token *( ";" token [ "=" ( token | quoted-string ) ] )`, optional whitespace around the separators;
 * a quoted value must unquote to a token). Empty list elements are skipped (RFC 7230 §7). Returns
 * `null` when the value does not follow the grammar.
 *
 * @example
 * ```ts
 * import { parseExtensions } from "./permessage_deflate.ts";
 * parseExtensions("permessage-deflate; client_max_window_bits, x-foo");
 * // [{ name: "permessage-deflate", params: [["client_max_window_bits", null]] }, { name: "x-foo", params: [] }]
 * ```
 */
export function parseExtensions(value: string): ExtensionOffer[] | null {
  const offers: ExtensionOffer[] = [];
  let i = 0;
  const n = value.length;
  const skipSpace = (): void => {
    while (i < n && (value[i] === " " || value[i] === "\t")) i++;
  };
  const token = (): string | null => {
    const start = i;
    while (i < n && TCHAR.test(value[i])) i++;
    return i > start ? value.slice(start, i) : null;
  };
  const quoted = (): string | null => {
    // value[i] is the opening quote.
    i++;
    let out = "";
    while (i < n) {
      const c = value[i++];
      if (c === '"') return out;
      if (c === "\\") {
        if (i >= n) return null;
        out += value[i++];
      } else out += c;
    }
    return null;
  };
  while (true) {
    skipSpace();
    if (i >= n) break;
    if (value[i] === ",") {
      i++;
      continue;
    }
    const name = token();
    if (name === null) return null;
    const offer: ExtensionOffer = { name: name.toLowerCase(), params: [] };
    skipSpace();
    while (i < n && value[i] === ";") {
      i++;
      skipSpace();
      const param = token();
      if (param === null) return null;
      skipSpace();
      let paramValue: string | null = null;
      if (value[i] === "=") {
        i++;
        skipSpace();
        paramValue = value[i] === '"' ? quoted() : token();
        // A quoted value must still be a token (RFC 6455 §9.1).
        if (paramValue === null || paramValue === "" || ![...paramValue].every((c) => TCHAR.test(c))) return null;
        skipSpace();
      }
      offer.params.push([param.toLowerCase(), paramValue]);
    }
    offers.push(offer);
    if (i >= n) break;
    if (value[i] !== ",") return null;
    i++;
  }
  return offers;
}

/** A window-bits value: a decimal integer without leading zeros, 8..15 (RFC 7692 §7.1.2). */
function windowBits(value: string): number | null {
  return /^(8|9|1[0-5])$/.test(value) ? Number(value) : null;
}

/** The agreed params and response header for one offer's parameters, or null when it is not acceptable. */
function accept(params: ExtensionOffer["params"], policy: DeflatePolicy): { header: string; params: DeflateParams } | null {
  const seen = new Set<string>();
  let serverNoContextTakeover = policy.serverNoContextTakeover === true;
  let clientNoContextTakeover = policy.clientNoContextTakeover === true;
  let serverBits: number | null = null;
  let clientBits: number | null | undefined; // undefined: not offered; null: offered without a value
  for (const [name, value] of params) {
    if (seen.has(name)) return null; // duplicate parameter (RFC 7692 §7)
    seen.add(name);
    switch (name) {
      case "server_no_context_takeover":
        if (value !== null) return null;
        serverNoContextTakeover = true;
        break;
      case "client_no_context_takeover":
        if (value !== null) return null;
        clientNoContextTakeover = true;
        break;
      case "server_max_window_bits":
        if (value === null || (serverBits = windowBits(value)) === null) return null;
        break;
      case "client_max_window_bits":
        if (value === null) clientBits = null;
        else if ((clientBits = windowBits(value)) === null) return null;
        break;
      default:
        return null; // a parameter not defined for an offer (RFC 7692 §7.1)
    }
  }
  // zlib has no raw deflate with a 256-byte window (it would use 512, which a client limited to 8
  // bits may fail to inflate): decline, so that a later offer may be taken.
  if (serverBits === 8) return null;
  let header = "permessage-deflate";
  if (serverNoContextTakeover) header += "; server_no_context_takeover";
  if (clientNoContextTakeover) header += "; client_no_context_takeover";
  if (serverBits !== null) header += `; server_max_window_bits=${serverBits}`;
  // The client said it will use at most this: agree to it (the inflater needs no bigger window).
  if (typeof clientBits === "number") header += `; client_max_window_bits=${clientBits}`;
  return {
    header,
    params: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits: serverBits ?? 15, clientMaxWindowBits: clientBits ?? 15 },
  };
}

/**
 * The client's `Sec-WebSocket-Extensions` value (all header lines joined by ", "). Picks the first
 * acceptable permessage-deflate offer; returns the response header value and the agreed params, null
 * when no offer is acceptable or the header is malformed (then the extension is simply not used).
 * Other extensions are ignored. By default the server keeps its context both ways (the best ratio);
 * `policy.serverNoContextTakeover` makes it reset its compressor after every message, and
 * `policy.clientNoContextTakeover` asks the client to do the same.
 *
 * @example
 * ```ts
 * import { negotiateDeflate } from "./permessage_deflate.ts";
 * negotiateDeflate("permessage-deflate; client_max_window_bits");
 * // { header: "permessage-deflate", params: { serverNoContextTakeover: false, clientNoContextTakeover: false,
 * //   serverMaxWindowBits: 15, clientMaxWindowBits: 15 } }
 * ```
 */
export function negotiateDeflate(extensions: string, policy?: DeflatePolicy): { header: string; params: DeflateParams } | null {
  const offers = parseExtensions(extensions);
  if (offers === null) return null;
  for (const offer of offers) {
    if (offer.name !== "permessage-deflate") continue;
    const agreed = accept(offer.params, policy ?? {});
    if (agreed !== null) return agreed;
  }
  return null;
}
