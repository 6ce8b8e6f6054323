/**
 * A connection after `101 Switching Protocols`: WebSocket frames in (the sans-IO reader,
 * src/ws/ws_reader.ts), messages to the handler's socket, frames out through the connection's output
 * queue. It runs the close handshake, answers pings, pings an idle client and closes it when no
 * answer comes, and bounds what a client that does not read can make the server hold.
 *
 * @module
 */

import type { SocketHandle } from "../platform.ts";
import type { Logger } from "../policy/logger.ts";
import type { Output } from "./response_writer.ts";
import { WsReader, type WsEvent } from "../ws/ws_reader.ts";
import { encodeClose, encodeFrame, frameHeader, OPCODE } from "../ws/ws_frames.ts";
import type { WebSocketDriver, WebSocketTransport } from "../web/server_websocket.ts";

/** What every WebSocket session of a server shares (from the settings). */
export interface WsSessionConfig {
  /** Largest message a client may send (bytes); more closes with 1009. */
  maxMessageSize: number;
  /** Most frames one message may arrive in; more closes with 1009. */
  maxFragments: number;
  /** Milliseconds without input before the server pings (0: never). */
  pingIntervalMs: number;
  /** Milliseconds a ping, or the close handshake, waits for the client. */
  pingTimeoutMs: number;
  /** Bytes of unsent messages a client that does not read may make the server hold (outbufHighWatermark). */
  maxBufferedBytes: number;
  logger: Logger;
  /** The time (ms), from the clock port. */
  now(): number;
  /** A timer from the clock port. */
  after(ms: number, fn: () => void): () => void;
}

/**
 * Where the session stands:
 * - `"open"`: messages both ways;
 * - `"closing"`: the server sent its close frame and waits for the client's (`pingTimeoutMs` bounds it);
 * - `"ended"`: the close handshake is done, or the connection failed: the socket is being ended;
 * - `"closed"`: the socket is gone.
 */
type SessionState = "open" | "closing" | "ended" | "closed";

const DECODER = new TextDecoder();
/** Payloads up to this size are copied next to their frame header (one chunk); larger ones go by reference. */
const JOIN_LIMIT = 4096;

/**
 * One WebSocket connection, driven by the adapter's socket events.
 *
 * @example
 * ```ts ignore
 * const session = new WsSession(socket, output, driverOf(ws, report), config, { peer: "127.0.0.1", release });
 * session.start(parser.detach());
 * // the connection then forwards onData, onEnd, onDrain and onClose
 * ```
 */
export class WsSession {
  readonly #socket: SocketHandle;
  readonly #output: Output;
  readonly #driver: WebSocketDriver;
  readonly #config: WsSessionConfig;
  readonly #reader: WsReader;
  readonly #peer: string;
  readonly #release: () => void;
  readonly #pingIntervalMs: number;
  #state: SessionState = "open";
  /** The socket's close event was dispatched. */
  #reported = false;
  #lastInput: number;
  /** When the outstanding ping was sent (0: none). */
  #pingSentAt = 0;
  /** When the server's close frame was sent (0: not yet). */
  #closeSentAt = 0;
  #cancelTimer: (() => void) | undefined;
  /** Bytes handed to the socket while it was not congested: already on their way. */
  #sentBaseline = 0;
  #paused = false;

  constructor(
    socket: SocketHandle,
    output: Output,
    driver: WebSocketDriver,
    config: WsSessionConfig,
    options: { peer: string; release: () => void; pingIntervalMs?: number },
  ) {
    this.#socket = socket;
    this.#output = output;
    this.#driver = driver;
    this.#config = config;
    this.#peer = options.peer;
    this.#release = options.release;
    this.#pingIntervalMs = options.pingIntervalMs ?? config.pingIntervalMs;
    this.#reader = new WsReader({ maxMessageSize: config.maxMessageSize, maxFragments: config.maxFragments });
    this.#lastInput = config.now();
  }

  /** The socket is open: tell the handler's socket, then read what arrived with the handshake. */
  start(rest: Uint8Array): void {
    const transport: WebSocketTransport = {
      sendText: (bytes) => this.#send(OPCODE.text, bytes),
      sendBinary: (bytes) => this.#send(OPCODE.binary, bytes),
      close: (code, reason) => this.#close(code, reason),
      get bufferedAmount() {
        return session.bufferedAmount;
      },
    };
    const session = this;
    this.#sentBaseline = this.#output.bytesOut;
    this.#driver.open(transport);
    this.#arm();
    if (rest.length > 0 && this.#state !== "closed") this.onData(rest);
  }

  /** Bytes of messages queued and not yet handed to the kernel (an estimate while the socket is congested). */
  get bufferedAmount(): number {
    const output = this.#output;
    return output.queuedBytes + (output.congested ? output.bytesOut - this.#sentBaseline : 0);
  }

  /** Whether the session is past its close handshake (or failed): the connection then only waits for the socket to go. */
  get ending(): boolean {
    return this.#state === "ended" || this.#state === "closed";
  }

  // ---- socket events ---------------------------------------------------------------------------

  onData(chunk: Uint8Array): void {
    if (this.#state !== "open" && this.#state !== "closing") return;
    this.#lastInput = this.#config.now();
    this.#pingSentAt = 0; // any input shows the client is there
    this.#reader.feed(chunk);
    for (;;) {
      if (this.#state !== "open" && this.#state !== "closing") return;
      const event = this.#reader.next();
      if (event === null) break;
      this.#handle(event);
    }
    // A client that sends faster than it reads: stop reading until its output drains.
    if (this.#output.congested && !this.#paused && this.#state === "open") {
      this.#paused = true;
      this.#socket.pauseReading();
    }
  }

  onEnd(): void {
    if (this.#state === "open" || this.#state === "closing") {
      this.#finish(1006, "The client closed the connection without a close frame", false);
    }
  }

  onDrain(): void {
    this.#sentBaseline = this.#output.bytesOut;
    if (this.#paused && this.#state === "open") {
      this.#paused = false;
      this.#socket.resumeReading();
    }
  }

  onClose(error?: unknown): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#cancelTimer?.();
    if (!this.#reported) {
      const why = error instanceof Error ? error.message : "the connection was closed";
      this.#report(1006, `The connection was lost: ${why}`, false, true);
    }
  }

  /** Server shutdown: close with 1001 (the client answers, or `pingTimeoutMs` ends the wait). */
  goingAway(): void {
    if (this.#state === "open") this.#close(1001, "The server is shutting down");
  }

  /**
   * Checks the ping and close deadlines at time `now` (the session's timer calls it; tests may too):
   * pings a client silent for the ping interval, fails one that leaves a ping or the close handshake
   * unanswered for the ping timeout.
   */
  tick(now: number): void {
    const config = this.#config;
    if (this.#state === "open" && this.#pingIntervalMs > 0) {
      if (this.#pingSentAt !== 0 && now - this.#pingSentAt >= config.pingTimeoutMs) {
        config.logger.info(`Closing a WebSocket from ${this.#peer}: no answer to a ping within ${config.pingTimeoutMs / 1000} s`);
        this.#abort(`No answer to a ping within ${config.pingTimeoutMs / 1000} s`);
        return;
      }
      if (this.#pingSentAt === 0 && now - this.#lastInput >= this.#pingIntervalMs) {
        this.#pingSentAt = now;
        this.#output.queue(encodeFrame(OPCODE.ping, new Uint8Array(0)));
        this.#output.flush();
      }
    } else if (this.#state === "closing" && now - this.#closeSentAt >= config.pingTimeoutMs) {
      config.logger.info(`Closing a WebSocket from ${this.#peer}: the close handshake was not answered within ${config.pingTimeoutMs / 1000} s`);
      this.#abort("The client did not answer the close frame in time");
      return;
    }
    this.#arm();
  }

  // ---- frames in -------------------------------------------------------------------------------

  #handle(event: WsEvent): void {
    switch (event.type) {
      case "text":
        this.#driver.text(DECODER.decode(event.data));
        return;
      case "binary":
        this.#driver.binary(event.data);
        return;
      case "ping":
        if (this.#state === "open") {
          this.#output.queue(encodeFrame(OPCODE.pong, event.data));
          this.#output.flushAtTurnEnd();
        }
        return;
      case "pong":
        return;
      case "close":
        if (this.#state === "open") {
          // Echo the client's code (none when it sent none), then close the TCP connection first (RFC 6455 7.1.1).
          this.#output.queue(event.code === 1005 ? encodeClose() : encodeClose(event.code));
        }
        this.#finish(event.code, event.reason, true);
        return;
      case "error":
        this.#config.logger.info(`Closing a WebSocket from ${this.#peer} with ${event.code}: ${event.detail}`);
        if (this.#state === "open") this.#output.queue(encodeClose(event.code, event.detail));
        this.#driver.error(event.detail);
        this.#finish(event.code, event.detail, false);
        return;
    }
  }

  // ---- frames out ------------------------------------------------------------------------------

  #send(opcode: number, payload: Uint8Array): void {
    if (this.#state !== "open") return;
    const output = this.#output;
    if (!output.congested) this.#sentBaseline = output.bytesOut;
    const held = this.bufferedAmount + payload.length;
    if (held > this.#config.maxBufferedBytes) {
      this.#config.logger.info(`Closing a WebSocket from ${this.#peer}: the client does not read (${held} bytes would be waiting, over outbufHighWatermark ${this.#config.maxBufferedBytes})`);
      this.#abort(`The client does not read: over outbufHighWatermark (${this.#config.maxBufferedBytes} bytes) would be waiting`);
      return;
    }
    if (payload.length <= JOIN_LIMIT) output.queue(encodeFrame(opcode, payload));
    else {
      output.queue(frameHeader(opcode, payload.length));
      output.queue(payload);
    }
    // Messages sent in one turn of the event loop leave in one write.
    output.flushAtTurnEnd();
  }

  #close(code: number | undefined, reason: string): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#closeSentAt = this.#config.now();
    this.#output.queue(encodeClose(code, reason));
    this.#output.flush();
    this.#arm();
  }

  // ---- the end ---------------------------------------------------------------------------------

  /** The close handshake is done (or the connection failed): send what is queued, end the socket, tell the socket. */
  #finish(code: number, reason: string, wasClean: boolean): void {
    if (this.#state === "ended" || this.#state === "closed") return;
    this.#state = "ended";
    this.#cancelTimer?.();
    this.#output.flush();
    this.#socket.end();
    this.#release();
    this.#report(code, reason, wasClean, false);
  }

  /** Fails the connection without a close frame (the client is gone, or does not read). */
  #abort(reason: string): void {
    if (this.#state === "closed") return;
    if (this.#state !== "ended") this.#state = "ended";
    this.#cancelTimer?.();
    this.#socket.destroy();
    this.#release();
    this.#report(1006, reason, false, true);
  }

  #report(code: number, reason: string, wasClean: boolean, withError: boolean): void {
    if (this.#reported) return;
    this.#reported = true;
    if (withError) this.#driver.error(reason);
    this.#driver.closed(code, reason, wasClean);
  }

  /** Sets the timer for the next deadline: a ping due, a ping or close frame unanswered. */
  #arm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const config = this.#config;
    let at: number;
    if (this.#state === "closing") at = this.#closeSentAt + config.pingTimeoutMs;
    else if (this.#state === "open" && this.#pingIntervalMs > 0) {
      at = this.#pingSentAt !== 0 ? this.#pingSentAt + config.pingTimeoutMs : this.#lastInput + this.#pingIntervalMs;
    } else return;
    const wait = Math.max(at - config.now(), 10);
    this.#cancelTimer = config.after(wait, () => {
      this.#cancelTimer = undefined;
      if (this.#state === "open" || this.#state === "closing") this.tick(config.now());
    });
  }
}
