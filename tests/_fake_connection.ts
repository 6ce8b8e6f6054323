/**
 * A connection driven without a runtime: a fake socket that records what the core writes, and a fake
 * clock the test moves by hand, so every timeout is tested without sleeping.
 */
import { Connection, type ConnectionConfig, type FetchHandler } from "../src/serve/connection.ts";
import { DEFAULT_PARSER_LIMITS } from "../src/http1/parser.ts";
import { Logger } from "../src/policy/logger.ts";
import { lazyRequest } from "../src/web/request.ts";
import { proxyConfigFromSettings } from "../src/policy/proxy_headers.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";
import type { PeerInfo, SocketHandle } from "../src/platform.ts";
import { latin1Bytes, latin1Text } from "./_bytes.ts";
import { captureLog } from "./_helpers.ts";

/** Records writes; `accepting = false` makes `write()` report congestion, as a client that stopped reading causes. */
export class FakeSocket implements SocketHandle {
  out = "";
  ended = false;
  destroyed = false;
  paused = false;
  accepting = true;
  write(data: Uint8Array): boolean {
    this.out += latin1Text(data);
    return this.accepting;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  pauseReading(): void {
    this.paused = true;
  }
  resumeReading(): void {
    this.paused = false;
  }
  /** Closed by the core, one way or the other. */
  get gone(): boolean {
    return this.ended || this.destroyed;
  }
}

/** A clock that moves only when the test says so. */
export class FakeClock {
  time = 1_000_000;
  now = (): number => this.time;
  /** The end of this turn of the event loop, as the real clock port's. */
  soon = (fn: () => void): void => void setImmediate(fn);
  /** Moves the clock by `ms` and returns the new time. */
  advance(ms: number): number {
    return (this.time += ms);
  }
}

export const TCP: PeerInfo = { remoteAddress: "10.1.2.3", remotePort: 5000, localAddress: "127.0.0.1", localPort: 80, unix: false };
export const UNIX: PeerInfo = { remoteAddress: "", remotePort: 0, localAddress: "/tmp/s", localPort: 0, unix: true };

/** A connection over a fake socket and a fake clock; 1 s for every timeout unless `over` says otherwise. */
export function fakeConnection(handler: FetchHandler, peer: PeerInfo = TCP, over: Partial<ConnectionConfig> = {}) {
  const log = captureLog();
  const socket = new FakeSocket();
  const clock = new FakeClock();
  const logger = new Logger("debug", log.sink);
  const config: ConnectionConfig = {
    handler: (parts, info) => handler(lazyRequest(parts), info), logger, limits: DEFAULT_PARSER_LIMITS,
    ident: "waitress", serverName: "waitress.invalid", urlScheme: "http", urlPrefix: "", proxy: proxyConfigFromSettings(resolveSettings({}).settings),
    exposeTracebacks: false, logSocketErrors: true, lookaheadBytes: 65536, maxDiscardBytes: 65536,
    headerTimeoutMs: 1000, bodyTimeoutMs: 1000, channelTimeoutMs: 1000, now: clock.now, soon: clock.soon,
    websocket: { maxMessageSize: 1 << 20, maxFragments: 1024, pingIntervalMs: 0, pingTimeoutMs: 1000, maxBufferedBytes: 1 << 20, deflate: undefined, logger,
      reportListenerError: (error) => logger.error("Exception in a WebSocket listener", error), now: clock.now, after: () => () => {} }, ...over,
  };
  const connection = new Connection(socket, peer, config);
  return { connection, socket, log, clock, feed: (text: string) => connection.onData(latin1Bytes(text)) };
}

/** How many responses `out` holds (counting status lines). */
export const responses = (out: string): number => out.split("HTTP/1.1 ").length - 1;
