/**
 * `upgradeWebSocket(request)`: what a Fetch handler calls to accept a WebSocket, shaped like
 * Deno's `upgradeWebSocket`. The server offers each request that asks to switch protocols
 * (HTTP/1.1, `Connection: upgrade`); this module checks the handshake, makes the socket, and marks
 * the response the handler returns, which the connection answers with `101 Switching Protocols`.
 *
 * @module
 */

import { checkHandshake, acceptKey } from "../ws/ws_handshake.ts";
import { ServerWebSocket } from "./server_websocket.ts";

/** Options of {@linkcode upgradeWebSocket}. */
export interface UpgradeWebSocketOptions {
  /** The subprotocol to speak: one the client offered in `Sec-WebSocket-Protocol`. */
  protocol?: string;
  /**
   * Seconds without a message from the client before the server pings it (and closes the
   * connection if no answer comes within `wsPingTimeout`); overrides the `wsPingInterval` setting for
   * this socket. 0: never ping.
   */
  idleTimeout?: number;
}

/** What {@linkcode upgradeWebSocket} returns: the socket, and the response the handler must return. */
export interface WebSocketUpgrade {
  /** The server's end of the WebSocket: set its handlers before returning `response`. */
  socket: ServerWebSocket;
  /** What the handler returns: the server answers it with `101 Switching Protocols`. */
  response: Response;
}

/** A request the server may switch to WebSocket, as the connection offers it. */
export interface UpgradeOffer {
  /** Method, HTTP minor version and headers (flat `[name, value, ...]`, names lower-case) of the request. */
  readonly method: string;
  readonly minorVersion: number;
  readonly headers: readonly string[];
  /** The request has a body (a handshake has none). */
  readonly hasBody: boolean;
  /** Whether the request is on a TLS listener (or a proxy said https): the socket's URL is `wss:`. */
  readonly secure: boolean;
  /** Set by upgradeWebSocket(): what the `101` says, and the socket it opens. */
  accepted?: AcceptedUpgrade;
}

/** An accepted handshake: the socket, and the values of the `101` response. */
export interface AcceptedUpgrade {
  readonly socket: ServerWebSocket;
  /**
   * The response `upgradeWebSocket()` returned (absent in thread mode, where the worker's response
   * arrives as a copy: the connection recognises it by its `Sec-WebSocket-Accept`).
   */
  readonly response?: Response;
  readonly accept: string;
  readonly protocol: string;
  /** The client's `Sec-WebSocket-Extensions`, for the extension negotiation. */
  readonly extensions: string;
  /** Seconds between pings for this socket (undefined: the server's `wsPingInterval`). */
  readonly idleTimeout: number | undefined;
}

/**
 * A request that is not a valid WebSocket handshake. The server answers it with `status` (400, or
 * 426 with `Sec-WebSocket-Version: 13`) when the handler lets it through; `response` is that answer,
 * for a handler that catches it.
 *
 * @example
 * ```ts ignore
 * try {
 *   const { response } = upgradeWebSocket(request);
 *   return response;
 * } catch (error) {
 *   if (error instanceof WebSocketHandshakeError) return error.response;
 *   throw error;
 * }
 * ```
 */
export class WebSocketHandshakeError extends Error {
  /** 400 (a malformed handshake) or 426 (a WebSocket version other than 13). */
  readonly status: 400 | 426;
  /** An invalid handshake: `status` to answer, `message` saying what was wrong. */
  constructor(status: 400 | 426, message: string) {
    super(message);
    this.name = "WebSocketHandshakeError";
    this.status = status;
  }

  /** The answer to send: the status with the reason as text (426 with `Sec-WebSocket-Version: 13`). */
  get response(): Response {
    const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
    if (this.status === 426) headers["sec-websocket-version"] = "13";
    return new Response(`${this.status === 426 ? "Upgrade Required" : "Bad Request"}\n\n${this.message}\n`, { status: this.status, headers });
  }
}

/** The offers of the requests being served, by `Request` (set by the server when it builds one). */
const offers = new WeakMap<Request, UpgradeOffer>();

/**
 * Records that `request` may be switched to WebSocket (the server calls it for requests with
 * `Connection: upgrade`).
 *
 * @example
 * ```ts ignore
 * offerUpgrade(request, { method: "GET", minorVersion: 1, headers, secure: false });
 * ```
 */
export function offerUpgrade(request: Request, offer: UpgradeOffer): void {
  offers.set(request, offer);
}

/** Flattens a `Headers` into `[name, value, ...]` for the handshake checks. */
function flatHeaders(headers: Headers): string[] {
  const flat: string[] = [];
  headers.forEach((value, name) => flat.push(name, value));
  return flat;
}

/** The socket's URL: the request's with `ws:` or `wss:`. */
function socketUrl(url: string, secure: boolean): string {
  const rest = url.slice(url.indexOf(":"));
  return (secure || url.startsWith("https:") ? "wss" : "ws") + rest;
}

/**
 * Accepts a WebSocket handshake, as Deno's `upgradeWebSocket` does: returns the socket and the
 * response the handler must return (Fetch cannot make a 101, so its `status` reads 200; the server
 * sends `101 Switching Protocols` for it, or for a copy that keeps its headers). Set the socket's handlers before returning the response; the socket opens when the
 * response is sent. A request that is not a valid handshake throws a
 * {@linkcode WebSocketHandshakeError}, which the server answers with 400 (or 426 for a version other
 * than 13) unless the handler catches it.
 *
 * @example
 * ```ts
 * import { upgradeWebSocket } from "../../mod.ts";
 *
 * export default (request: Request): Response => {
 *   if (request.headers.get("upgrade") !== "websocket") return new Response("a WebSocket echo lives here");
 *   const { socket, response } = upgradeWebSocket(request);
 *   socket.onmessage = (event) => socket.send(event.data);
 *   return response;
 * };
 * ```
 */
export function upgradeWebSocket(request: Request, options: UpgradeWebSocketOptions = {}): WebSocketUpgrade {
  const offer = offers.get(request);
  if (offer === undefined) {
    const check = checkHandshake(request.method, 1, flatHeaders(request.headers));
    if (!check.ok) throw new WebSocketHandshakeError(check.status, check.detail);
    throw new TypeError("upgradeWebSocket() takes the Request a waitress server passed to the handler " +
      "(this one was made elsewhere, or its handshake was already answered)");
  }
  if (offer.accepted !== undefined) throw new TypeError("upgradeWebSocket() was already called for this request");
  const check = checkHandshake(offer.method, offer.minorVersion, offer.headers);
  if (!check.ok) throw new WebSocketHandshakeError(check.status, check.detail);
  if (offer.hasBody) throw new WebSocketHandshakeError(400, "A WebSocket handshake has no body (Content-Length or Transfer-Encoding)");
  const protocol = options.protocol ?? "";
  if (protocol !== "" && !check.protocols.includes(protocol)) {
    throw new TypeError(`upgradeWebSocket(): the client did not offer the subprotocol "${protocol}"` +
      (check.protocols.length === 0 ? " (it offered none)" : ` (it offered ${check.protocols.map((p) => `"${p}"`).join(", ")})`));
  }
  const idleTimeout = options.idleTimeout;
  if (idleTimeout !== undefined && !(idleTimeout >= 0)) throw new RangeError(`upgradeWebSocket(): idleTimeout must be a number of seconds >= 0 (got ${idleTimeout})`);
  const accept = acceptKey(check.key);
  const headers: Record<string, string> = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-accept": accept };
  if (protocol !== "") headers["sec-websocket-protocol"] = protocol;
  // Fetch cannot construct a 101: the server recognises this response (or a copy of it, by its
  // Sec-WebSocket-Accept, as frameworks make when they merge headers) and sends one.
  const response = new Response(null, { status: 200, headers });
  const socket = new ServerWebSocket(socketUrl(request.url, offer.secure), protocol);
  offer.accepted = { socket, response, accept, protocol, extensions: check.extensions, idleTimeout };
  return { socket, response };
}
