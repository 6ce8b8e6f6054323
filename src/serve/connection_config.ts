/**
 * What a connection is given: the handler it calls, and what every connection of a server shares
 * (limits, timeouts, the clock, the hooks the server listens on).
 *
 * @module
 */

import type { ParserLimits } from "../http1/parser.ts";
import type { RequestInfo, RequestParts } from "../web/request.ts";
import type { Connection } from "./connection.ts";
import type { ResponseFacts } from "./exchange.ts";
import type { TargetConfig } from "./request_target.ts";
import type { WsSessionConfig } from "./ws_session.ts";

/** A Fetch handler: the application. */
export type FetchHandler = (request: Request, info: RequestInfo) => Response | Promise<Response>;

/**
 * What a connection calls for each request: the parsed request's parts (method, url, headers, body,
 * signal) and its info. Inline, the server turns the parts into the runtime's `Request` and calls the
 * app; in thread mode, the parts go to the task queue as they are.
 */
export type ExchangeHandler = (parts: RequestParts, info: RequestInfo) => Response | Promise<Response>;

/** What every connection of a server shares (and, from TargetConfig, what builds a request's URL and info). */
export interface ConnectionConfig extends TargetConfig {
  handler: ExchangeHandler;
  limits: ParserLimits;
  /** `Server` header value; `""` omits it. */
  ident: string;
  exposeTracebacks: boolean;
  /** Log socket errors (resets, broken pipes) at warning level. */
  logSocketErrors: boolean;
  /** Bytes of pipelined input buffered while a request is served before reading pauses. */
  lookaheadBytes: number;
  /** Unread request body (bytes) the server discards to keep a connection alive; more closes it. */
  maxDiscardBytes: number;
  /** Milliseconds allowed for a request head: from accept for the first, from the first byte for later ones. */
  headerTimeoutMs: number;
  /** Milliseconds a handler may wait for the next body byte before the request fails with 408. */
  bodyTimeoutMs: number;
  /** Milliseconds an idle keep-alive connection, or a stalled write, is kept. */
  channelTimeoutMs: number;
  /** The time in milliseconds (the clock port): the connection never reads a clock of its own. */
  now: () => number;
  /** Runs a function at the end of this turn of the event loop (the clock port's `soon`). */
  soon: (fn: () => void) => void;
  /** WebSocket sessions' settings and timers; requests with `Connection: upgrade` are offered to `upgradeWebSocket()`. */
  websocket: WsSessionConfig;
  /** Called once when the connection is closed. */
  onClosed?: (connection: Connection) => void;
  /** Called once when the core ends or destroys the socket (it may linger before `onClosed`). */
  onRelease?: (connection: Connection) => void;
  /** Called once per answered request (statistics; `facts.toRecord()` for the access log). */
  onResponse?: (facts: ResponseFacts) => void;
  /** Called when a keep-alive connection becomes idle between requests. */
  onIdle?: (connection: Connection) => void;
}
