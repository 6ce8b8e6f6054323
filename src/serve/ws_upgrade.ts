/**
 * The switch from HTTP to WebSocket on a connection: the handler called `upgradeWebSocket()` and
 * returned its response; the connection sends `101 Switching Protocols` and hands the socket to a
 * {@linkcode WsSession}. A handler that returned some other response, or failed, gets that answered
 * as usual and its WebSocket reports a close (1006) without ever opening.
 *
 * Loaded at a server's first handshake (connection.ts imports it then): a plain server never needs it
 * or the WebSocket session and protocol under it.
 *
 * @module
 */

import type { MessageCodec, SocketHandle } from "../platform.ts";
import { negotiateDeflate } from "../ws/permessage_deflate.ts";
import { encodeLatin1 } from "../http1/bytes.ts";
import { httpDate } from "../http1/http_date.ts";
import { HOP_BY_HOP, isSafeHeader } from "../http1/response_head.ts";
import type { Exchange } from "./exchange.ts";
import { respond, respondWithError, type ResponseTarget } from "./response_writer.ts";
import { WsSession, type WsSessionConfig } from "./ws_session.ts";
import { type AcceptedUpgrade, WebSocketHandshakeError } from "../web/upgrade_websocket.ts";
import { driverOf, type WebSocketDriver } from "../web/server_websocket.ts";

// Tests see in this registry entry (when they create it) whether a server loaded this module.
(globalThis as { [key: symbol]: Set<string> | undefined })[Symbol.for("waitress.loaded")]?.add(import.meta.url);

/** What the switch needs of its connection. */
export interface SwitchContext {
  readonly target: ResponseTarget;
  readonly socket: SocketHandle;
  readonly config: WsSessionConfig;
  /** The client's address, for the log. */
  readonly peer: string;
  /** The connection's slot is free (the session ended the socket); called unbound. */
  readonly release: () => void;
}

/** Headers the `101` sets itself, or that a `101` must not carry. */
const OWN_HEADERS: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP, "content-length", "sec-websocket-accept", "sec-websocket-protocol", "sec-websocket-extensions", "date", "server",
]);

/** Tells a socket that never opened why (its `close` event, 1006). */
function neverOpened(context: SwitchContext, accepted: AcceptedUpgrade, why: string): void {
  const driver = driverOf(accepted.socket, context.config.reportListenerError);
  driver.error(why);
  driver.closed(1006, why, false);
}

/**
 * Answers `exchange` with `response`: the `101` and a session when it is the response of the
 * accepted handshake, the response as usual otherwise. Returns the session (not yet started: the
 * connection starts it with the bytes that followed the handshake), or null.
 *
 * @example
 * ```ts ignore
 * const session = switchProtocols(context, exchange, response);
 * if (session !== null) session.start(parser.detach());
 * ```
 */
export function switchProtocols(context: SwitchContext, exchange: Exchange, response: Response): WsSession | null {
  const accepted = exchange.upgrade!.accepted!;
  const target = context.target;
  if (exchange.response === "done" || target.closed) {
    neverOpened(context, accepted, "The connection closed before the handshake was answered");
    respond(target, exchange, response);
    return null;
  }
  const headers = typeof response === "object" && response !== null ? response.headers : undefined;
  if (response !== accepted.response && headers?.get("sec-websocket-accept") !== accepted.accept) {
    neverOpened(context, accepted, "The handler did not return the response of upgradeWebSocket()");
    respond(target, exchange, response);
    return null;
  }
  let head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accepted.accept + "\r\n";
  if (accepted.protocol !== "") head += `Sec-WebSocket-Protocol: ${accepted.protocol}\r\n`;
  const deflate = context.config.deflate;
  let codec: MessageCodec | undefined;
  if (deflate !== undefined && accepted.extensions !== "") {
    const noTakeover = deflate.contextTakeover === false;
    const agreed = negotiateDeflate(accepted.extensions, { serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover });
    if (agreed !== null) {
      codec = deflate.create(agreed.params);
      head += `Sec-WebSocket-Extensions: ${agreed.header}\r\n`;
      accepted.socket.extensions = agreed.header;
    }
  }
  // Headers the app added (a cookie, say) go with the 101.
  if (headers !== undefined) head += appHeaders(headers);
  head += `Date: ${httpDate(target.now())}\r\n`;
  if (target.ident !== "") head += `Server: ${target.ident}\r\n`;
  target.output.queue(encodeLatin1(head + "\r\n"));
  exchange.status = 101;
  exchange.response = "done";
  exchange.keepAlive = false;
  target.record(exchange);
  const driver: WebSocketDriver = driverOf(accepted.socket, context.config.reportListenerError);
  const pingIntervalMs = accepted.idleTimeout === undefined ? undefined : accepted.idleTimeout * 1000;
  return new WsSession(context.socket, target.output, driver, context.config, { peer: context.peer, release: context.release, pingIntervalMs, codec });
}

/** The header lines of `headers` a `101` may carry (in a function of its own: no closure the session keeps holds them). */
function appHeaders(headers: Headers): string {
  let lines = "";
  headers.forEach((value, name) => {
    if (!OWN_HEADERS.has(name) && isSafeHeader(name, value)) lines += `${name}: ${value}\r\n`;
  });
  return lines;
}

/**
 * Answers a handler's failure: a {@linkcode WebSocketHandshakeError} with its 400 or 426 (the handler
 * let an invalid handshake through), anything else as a 500; a handshake it had accepted reports a
 * close without opening.
 *
 * @example
 * ```ts ignore
 * promise.catch((error) => failProtocols(context, exchange, error));
 * ```
 */
export function failProtocols(context: SwitchContext, exchange: Exchange, error: unknown): void {
  const accepted = exchange.upgrade?.accepted;
  if (accepted !== undefined) neverOpened(context, accepted, "The handler failed after upgradeWebSocket()");
  if (error instanceof WebSocketHandshakeError && exchange.response === "waiting") {
    context.target.logger.info(`Refused a WebSocket handshake from ${context.peer} with ${error.status}: ${error.message}`);
    respond(context.target, exchange, error.response);
  } else respondWithError(context.target, exchange, error);
}
