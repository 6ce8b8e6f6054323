/**
 * A connection after `101 Switching Protocols`: WebSocket frames in (the sans-IO reader,
 * src/ws/ws_reader.ts), messages to the handler's socket, frames out through the connection's output
 * queue. It runs the close handshake, answers pings, pings an idle client and closes it when no
 * answer comes, and bounds what a client that does not read can make the server hold.
 *
 * @module
 */

import type { DeflatePort, MessageCodec, SocketHandle } from "../platform.ts";
import type { Logger } from "../policy/logger.ts";
import type { Output } from "./response_writer.ts";
import { WsReader, type WsEvent } from "../ws/ws_reader.ts";
import { encodeClose, encodeFrame, encodeTextFrame, frameHeader, OPCODE } from "../ws/ws_frames.ts";
import { utf8Length } from "../http1/bytes.ts";
import { isValidUtf8 } from "../ws/utf8_validator.ts";
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
  /** permessage-deflate, when the server offers it (wsPerMessageDeflate) and the runtime has it. */
  deflate: DeflatePort | undefined;
  logger: Logger;
  /** Logs an exception thrown by a socket's listener (one function per server, not a closure per socket). */
  reportListenerError(error: unknown): void;
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

// ignoreBOM: a message that starts with U+FEFF keeps it (the default decoder drops it).
const DECODER = new TextDecoder("utf-8", { ignoreBOM: true });
const ENCODER = new TextEncoder();
/** Payloads the session owns up to this size are copied next to their frame header (one chunk); larger ones go by reference. */
const JOIN_LIMIT = 4096;
/** With permessage-deflate, messages from this size on are compressed (smaller ones rarely shrink). */
const DEFLATE_MIN = 1024;

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
export class WsSession implements WebSocketTransport {
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
  /** The socket's owner holds the client's frames (thread mode: its worker is behind). */
  #held = false;
  /** permessage-deflate's compressor and decompressor, when negotiated. */
  readonly #codec: MessageCodec | undefined;
  /** A compressed message is being inflated: later frames wait in the reader (in order). */
  #inflating = false;
  /** Bytes of messages being compressed, and the chain that queues them (and what follows) in call order. */
  #deflating = 0;
  #outChain: Promise<void> | undefined;
  /** The close frame is queued: nothing more goes out. */
  #closeQueued = false;
  /** Frames are being read: what the handlers send meanwhile leaves when the pump ends. */
  #pumping = false;

  constructor(
    socket: SocketHandle,
    output: Output,
    driver: WebSocketDriver,
    config: WsSessionConfig,
    options: { peer: string; release: () => void; pingIntervalMs?: number; codec?: MessageCodec },
  ) {
    this.#socket = socket;
    this.#output = output;
    this.#driver = driver;
    this.#config = config;
    this.#peer = options.peer;
    this.#release = options.release;
    this.#pingIntervalMs = options.pingIntervalMs ?? config.pingIntervalMs;
    this.#codec = options.codec;
    this.#reader = new WsReader({ maxMessageSize: config.maxMessageSize, maxFragments: config.maxFragments }, { allowRsv1: options.codec !== undefined });
    this.#lastInput = config.now();
  }

  /** The socket is open: tell the handler's socket, then read what arrived with the handshake. */
  start(rest: Uint8Array): void {
    this.#sentBaseline = this.#output.bytesOut;
    this.#driver.open(this);
    this.#arm();
    if (rest.length > 0 && this.#state !== "closed") this.onData(rest);
  }

  // ---- WebSocketTransport, for the handler's socket (sendText and close are under "frames out") -----

  /** Sends a binary message (`owned`: the memory is handed over). */
  sendBinary(bytes: Uint8Array, owned: boolean): void {
    this.#send(OPCODE.binary, bytes, owned);
  }

  /** Holds the client's frames (those read already wait in the reader), or delivers them again. */
  holdInput(hold: boolean): void {
    if (this.#held === hold) return;
    this.#held = hold;
    if (hold) this.#updateReading();
    else this.#pump();
  }

  /** Bytes of messages queued and not yet handed to the kernel (an estimate while the socket is congested). */
  get bufferedAmount(): number {
    const output = this.#output;
    return this.#deflating + output.queuedBytes + (output.congested ? output.bytesOut - this.#sentBaseline : 0);
  }

  // ---- socket events ---------------------------------------------------------------------------

  /** Bytes arrived at time `now` (the connection read the clock already). */
  onData(chunk: Uint8Array, now: number = this.#config.now()): void {
    if (this.#state !== "open" && this.#state !== "closing") return;
    this.#lastInput = now;
    this.#pingSentAt = 0; // any input shows the client is there
    this.#reader.feed(chunk);
    this.#pump();
  }

  /** Takes the reader's events in order; a compressed message holds the rest until it is inflated. */
  #pump(): void {
    this.#pumping = true;
    try {
      while (!this.#inflating && !this.#held && (this.#state === "open" || this.#state === "closing")) {
        const event = this.#reader.next();
        if (event === null) break;
        if ((event.type === "text" || event.type === "binary") && event.compressed) this.#inflate(event.type, event.data);
        else this.#handle(event);
      }
    } finally {
      this.#pumping = false;
    }
    // What the handlers answered at once (an echo, a pong) leaves now, in one write, without waiting
    // for the end of the turn.
    if (this.#output.queuedBytes > 0) this.#output.flush();
    this.#updateReading();
  }

  /**
   * Reads while the client reads what it is sent and no message is being inflated: a client that
   * sends faster than it reads is slowed to its own pace.
   */
  #updateReading(): void {
    const hold = this.#inflating || this.#held || this.#output.congested;
    if (hold && !this.#paused && this.#state === "open") {
      this.#paused = true;
      this.#socket.pauseReading();
    } else if (!hold && this.#paused && (this.#state === "open" || this.#state === "closing")) {
      this.#paused = false;
      this.#socket.resumeReading();
    }
  }

  #inflate(type: "text" | "binary", data: Uint8Array): void {
    this.#inflating = true;
    const maxBytes = this.#config.maxMessageSize;
    this.#codec!.inflate(data, maxBytes).then((message) => {
      this.#inflating = false;
      if (this.#state !== "open" && this.#state !== "closing") return;
      if (type === "binary") this.#driver.binary(message);
      else if (isValidUtf8(message)) this.#driver.text(DECODER.decode(message));
      else return this.#fail(1007, "Invalid UTF-8 in a compressed text message");
      this.#pump();
    }, (error: { tooBig?: boolean; message?: string }) => {
      this.#inflating = false;
      if (error?.tooBig) this.#fail(1009, `A compressed message inflates to more than wsMaxMessageSize (${maxBytes} bytes)`);
      else this.#fail(1007, `A compressed message cannot be inflated: ${error?.message ?? error}`);
    });
  }

  onEnd(): void {
    if (this.#state === "open" || this.#state === "closing") {
      this.#finish(1006, "The client closed the connection without a close frame", false);
    }
  }

  onDrain(): void {
    this.#sentBaseline = this.#output.bytesOut;
    this.#updateReading();
  }

  onClose(error?: unknown): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#cancelTimer?.();
    this.#codec?.close();
    if (!this.#reported) {
      const why = error instanceof Error ? error.message : "the connection was closed";
      this.#report(1006, `The connection was lost: ${why}`, false, true);
    }
  }

  /** Server shutdown: close with 1001 (the client answers, or `pingTimeoutMs` ends the wait). */
  goingAway(): void {
    if (this.#state === "open") this.close(1001, "The server is shutting down");
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
        if (!this.#closeQueued) {
          // Echo the client's code (none when it sent none), then close the TCP connection first (RFC 6455 7.1.1).
          this.#closeQueued = true;
          this.#output.queue(event.code === 1005 ? encodeClose() : encodeClose(event.code));
        }
        this.#finish(event.code, event.reason, true);
        return;
      case "error":
        this.#fail(event.code, event.detail);
        return;
    }
  }

  /** Fails the connection with `code`: a close frame saying why, the socket ended, `error` then `close`. */
  #fail(code: number, detail: string): void {
    if (this.#state !== "open" && this.#state !== "closing") return;
    this.#config.logger.info(`Closing a WebSocket from ${this.#peer} with ${code}: ${detail}`);
    if (!this.#closeQueued) this.#output.queue(encodeClose(code, detail));
    this.#closeQueued = true;
    this.#driver.error(detail);
    this.#finish(code, detail, false);
  }

  // ---- frames out ------------------------------------------------------------------------------

  /** Sends a text message (the handler's socket calls it, as every `WebSocketTransport` method here). */
  sendText(text: string): void {
    if (this.#state !== "open") return;
    const length = utf8Length(text);
    if (this.#codec !== undefined && (length >= DEFLATE_MIN || this.#deflating > 0)) {
      return this.#send(OPCODE.text, ENCODER.encode(text), true);
    }
    if (!this.#admit(length)) return;
    // Encoded straight into its frame: one allocation, one chunk for the socket.
    this.#output.queue(encodeTextFrame(text, length));
    if (!this.#pumping) this.#output.flushAtTurnEnd();
  }

  /** Whether `length` more bytes may wait for the client; if not, the connection is dropped. */
  #admit(length: number): boolean {
    const output = this.#output;
    if (!output.congested) this.#sentBaseline = output.bytesOut;
    const held = this.bufferedAmount + length;
    if (held <= this.#config.maxBufferedBytes) return true;
    this.#config.logger.info(`Closing a WebSocket from ${this.#peer}: the client does not read (${held} bytes would be waiting, over outbufHighWatermark ${this.#config.maxBufferedBytes})`);
    this.#abort(`The client does not read: over outbufHighWatermark (${this.#config.maxBufferedBytes} bytes) would be waiting`);
    return false;
  }

  /** `owned`: the payload's memory is handed over; otherwise it is copied if it is kept beyond this call. */
  #send(opcode: number, payload: Uint8Array, owned: boolean): void {
    if (this.#state !== "open" || !this.#admit(payload.length)) return;
    const codec = this.#codec;
    if (codec !== undefined && (payload.length >= DEFLATE_MIN || this.#deflating > 0)) {
      // Compressed, or behind a message being compressed: queued in call order once its turn comes.
      const compress = payload.length >= DEFLATE_MIN;
      const kept = owned ? payload : payload.slice();
      const ready = compress ? codec.deflate(kept) : Promise.resolve(kept);
      this.#deflating += payload.length;
      this.#outChain = (this.#outChain ?? Promise.resolve()).then(() => ready).then((data) => {
        this.#deflating -= payload.length;
        if (!this.#closeQueued && (this.#state === "open" || this.#state === "closing")) this.#queueFrame(opcode, data, compress, true);
      }, (error) => {
        this.#deflating -= payload.length;
        if (this.#state !== "open" && this.#state !== "closing") return; // the codec was closed with the connection
        this.#config.logger.error("A WebSocket message could not be compressed", error);
        this.#abort("A message could not be compressed");
      });
      return;
    }
    this.#queueFrame(opcode, payload, false, owned);
  }

  /**
   * Queues a frame. The caller's bytes are copied into the frame (the copy send() owes them, and one
   * chunk: Deno's and Bun's sockets would copy a header and payload into one write again); bytes the
   * session owns above JOIN_LIMIT go by reference after their header.
   */
  #queueFrame(opcode: number, payload: Uint8Array, rsv1: boolean, owned: boolean): void {
    const output = this.#output;
    if (!owned || payload.length <= JOIN_LIMIT) output.queue(encodeFrame(opcode, payload, true, rsv1));
    else {
      output.queue(frameHeader(opcode, payload.length, true, rsv1));
      output.queue(payload);
    }
    // Messages sent in one turn of the event loop leave in one write (while frames are read, when the pump ends).
    if (!this.#pumping) output.flushAtTurnEnd();
  }

  /** Starts the close handshake. */
  close(code: number | undefined, reason: string): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#closeSentAt = this.#config.now();
    const queueClose = (): void => {
      if (this.#closeQueued || this.#state !== "closing") return;
      this.#closeQueued = true;
      this.#output.queue(encodeClose(code, reason));
      this.#output.flush();
    };
    // After the messages still being compressed.
    if (this.#deflating > 0) this.#outChain = this.#outChain!.then(queueClose);
    else queueClose();
    this.#arm();
  }

  // ---- the end ---------------------------------------------------------------------------------

  /** The close handshake is done (or the connection failed): send what is queued, end the socket, tell the socket. */
  #finish(code: number, reason: string, wasClean: boolean): void {
    if (this.#state === "ended" || this.#state === "closed") return;
    this.#state = "ended";
    this.#cancelTimer?.();
    this.#codec?.close();
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
    this.#codec?.close();
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
