/**
 * The server's end of a WebSocket, shaped like the standard `WebSocket` (what Deno's `upgradeWebSocket`
 * gives a handler): `send`, `close`, `readyState`, `binaryType`, `bufferedAmount`, `protocol`,
 * `extensions`, the `on*` handler properties and `addEventListener`. The connection drives it through
 * a {@linkcode WebSocketDriver}; the handler only sees the socket.
 *
 * @module
 */

import { utf8Length } from "../http1/bytes.ts";

/** What the socket asks of the connection it runs on (a WebSocket session, once the `101` is sent). */
export interface WebSocketTransport {
  /** Sends a text message. */
  sendText(text: string): void;
  /**
   * Sends a binary message. `owned`: the memory is handed over; otherwise it is the caller's, which
   * may change it once `send()` returns, so the transport copies what it keeps beyond the call.
   */
  sendBinary(bytes: Uint8Array, owned: boolean): void;
  /** Starts the close handshake. */
  close(code: number | undefined, reason: string): void;
  /** Bytes of messages queued and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /**
   * Optional: stops (`true`) or resumes (`false`) reading the client's frames; thread mode's relay holds
   * them while a worker has not taken the messages it was sent.
   */
  holdInput?(hold: boolean): void;
}

/** How the connection drives a socket: open it, deliver messages, report the close. */
export interface WebSocketDriver {
  /** The `101` is queued: the socket is OPEN and sends through `transport`. */
  open(transport: WebSocketTransport): void;
  /** A whole text message. */
  text(data: string): void;
  /** A whole binary message (the memory is handed over). */
  binary(data: Uint8Array): void;
  /** The connection failed (protocol error, timeout, reset): an `error` event, then `closed`. */
  error(message: string): void;
  /** The connection is closed: the `close` event (once). */
  closed(code: number, reason: string, wasClean: boolean): void;
}

type EventHandler = ((event: Event) => void) | null;

const ignore = (): void => {};

/** Set by the class's static block: it reaches the socket's private state. */
let makeDriver: (socket: ServerWebSocket, report: (error: unknown) => void) => WebSocketDriver;
/** Set by the class's static block: the transport the socket was opened with. */
let readTransport: (socket: ServerWebSocket) => WebSocketTransport | null;

/** The `close` event (Node 20 has no global `CloseEvent`). */
class WsCloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(code: number, reason: string, wasClean: boolean) {
    super("close");
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/** The `error` event, with what went wrong (browsers give none; a server log wants it). */
class WsErrorEvent extends Event {
  readonly message: string;
  constructor(message: string) {
    super("error");
    this.message = message;
  }
}

const CONNECTING = 0 as const;
const OPEN = 1 as const;
const CLOSING = 2 as const;
const CLOSED = 3 as const;


/** A view of `data`'s bytes (no copy: the transport copies what it keeps). */
function viewOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * A WebSocket as a server handler holds it. Made by `upgradeWebSocket()`; CONNECTING until the
 * handler's response is sent.
 *
 * @example
 * ```ts ignore
 * const { socket, response } = upgradeWebSocket(request);
 * socket.onmessage = (event) => socket.send(event.data);
 * return response;
 * ```
 */
export class ServerWebSocket extends EventTarget {
  /** `readyState` before the `101` is sent. */
  static readonly CONNECTING: 0 = CONNECTING;
  /** `readyState` while messages go both ways. */
  static readonly OPEN: 1 = OPEN;
  /** `readyState` once a close frame was sent or asked for. */
  static readonly CLOSING: 2 = CLOSING;
  /** `readyState` once the connection is gone. */
  static readonly CLOSED: 3 = CLOSED;
  /** `readyState` before the `101` is sent. */
  readonly CONNECTING: 0 = CONNECTING;
  /** `readyState` while messages go both ways. */
  readonly OPEN: 1 = OPEN;
  /** `readyState` once a close frame was sent or asked for. */
  readonly CLOSING: 2 = CLOSING;
  /** `readyState` once the connection is gone. */
  readonly CLOSED: 3 = CLOSED;
  /** The request's URL with its scheme as `ws:` or `wss:`. */
  readonly url: string;
  /** The subprotocol chosen (`""`: none). */
  readonly protocol: string;
  /** The extensions in use (`"permessage-deflate"` or `""`). */
  extensions = "";
  #state: number = CONNECTING;
  #binaryType: BinaryType = "blob";
  /** `MessageEvent.origin` of its messages: the URL's scheme, host and port. */
  readonly #origin: string;
  #transport: WebSocketTransport | null = null;
  /** Bytes of sends made after the socket started closing (the standard counts them, and drops them). */
  #dropped = 0;
  /** close() before the socket opened: sent as soon as it opens. */
  #closeOnOpen: { code: number | undefined; reason: string } | undefined;
  /** Sends wait behind a Blob being read, so messages leave in order. */
  #queue: Promise<void> | undefined;
  /** The `on*` handlers and the wrappers registered for them (made at the first one). */
  #handlers: Record<string, { handler: EventHandler; wrapper: (event: Event) => void } | undefined> | undefined;
  /** Each listener's wrapper, per event type: an exception in a listener is logged, never thrown at the server (made at the first listener). */
  #wrappers: Map<string, Map<EventListenerOrEventListenerObject, (event: Event) => void>> | undefined;
  #report: (error: unknown) => void = ignore;

  /** Made by `upgradeWebSocket()`, not by handlers. */
  constructor(url: string, protocol: string) {
    super();
    this.url = url;
    this.#origin = originOf(url);
    this.protocol = protocol;
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). */
  get readyState(): number {
    return this.#state;
  }

  /** How binary messages arrive: `"blob"` (the standard's default) or `"arraybuffer"`. */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(value: BinaryType) {
    if (value === "blob" || value === "arraybuffer") this.#binaryType = value;
  }

  /** Bytes queued by `send()` and not yet handed to the network. */
  get bufferedAmount(): number {
    return (this.#transport?.bufferedAmount ?? 0) + this.#dropped;
  }

  /** The socket opened (the `101` was sent). */
  get onopen(): ((event: Event) => void) | null {
    return this.#handler("open");
  }
  set onopen(fn: ((event: Event) => void) | null) {
    this.#setHandler("open", fn as EventHandler);
  }
  /** A message arrived: `event.data` is a string, or a Blob / ArrayBuffer (see `binaryType`). */
  get onmessage(): ((event: MessageEvent) => void) | null {
    return this.#handler("message");
  }
  set onmessage(fn: ((event: MessageEvent) => void) | null) {
    this.#setHandler("message", fn as EventHandler);
  }
  /** The connection closed: `event.code`, `event.reason`, `event.wasClean`. */
  get onclose(): ((event: CloseEvent) => void) | null {
    return this.#handler("close");
  }
  set onclose(fn: ((event: CloseEvent) => void) | null) {
    this.#setHandler("close", fn as EventHandler);
  }
  /** The connection failed (a `close` event follows); `event.message` says why. */
  get onerror(): ((event: Event) => void) | null {
    return this.#handler("error");
  }
  set onerror(fn: ((event: Event) => void) | null) {
    this.#setHandler("error", fn as EventHandler);
  }

  /**
   * Sends a message: text for a string, binary for bytes or a Blob. Throws while CONNECTING (the
   * handler has not returned the response yet); ignored once closing, as the standard says.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#state === CONNECTING) {
      throw new DOMException("The WebSocket is not open yet: send from onopen, or after the handler returned the response", "InvalidStateError");
    }
    if (typeof data === "string") return this.#send(data, false);
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return this.#send(viewOf(data as ArrayBuffer | ArrayBufferView), false);
    if (typeof Blob !== "undefined" && data instanceof Blob) {
      const read = data.arrayBuffer();
      this.#queue = (this.#queue ?? Promise.resolve()).then(() => read).then((buffer) => this.#deliver(new Uint8Array(buffer), true), () => {});
      return;
    }
    throw new TypeError("WebSocket.send() takes a string, an ArrayBuffer, a typed array, a DataView or a Blob");
  }

  /**
   * Starts the closing handshake. `code` is 1000 or 3000-4999; `reason` at most 123 bytes of UTF-8.
   */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999 || !Number.isInteger(code))) {
      throw new DOMException(`The close code must be 1000 or in 3000-4999 (got ${code})`, "InvalidAccessError");
    }
    const why = reason ?? "";
    if (utf8Length(why) > 123) throw new DOMException("The close reason must be at most 123 bytes of UTF-8", "SyntaxError");
    if (this.#state === CLOSING || this.#state === CLOSED) return;
    if (this.#state === CONNECTING) {
      this.#closeOnOpen = { code, reason: why };
      this.#state = CLOSING;
      return;
    }
    this.#state = CLOSING;
    const close = (): void => this.#transport?.close(code, why);
    if (this.#queue === undefined) close();
    else this.#queue = this.#queue.then(close);
  }

  /** `data`: text, or bytes (`owned`: handed over, else the caller's). */
  #send(data: string | Uint8Array, owned: boolean): void {
    if (this.#queue !== undefined) {
      // Waits behind a Blob: keep a copy now, the caller may change its buffer once send() returns.
      const kept = typeof data === "string" || owned ? data : data.slice();
      this.#queue = this.#queue.then(() => this.#deliver(kept, true));
      return;
    }
    this.#deliver(data, owned);
  }

  #deliver(data: string | Uint8Array, owned: boolean): void {
    const transport = this.#transport;
    if (this.#state !== OPEN || transport === null) {
      this.#dropped += typeof data === "string" ? utf8Length(data) : data.length;
      return;
    }
    if (typeof data === "string") transport.sendText(data);
    else transport.sendBinary(data, owned);
  }

  /** Adds a listener; an exception it throws is logged by the server (as a browser reports it), not thrown. */
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    if (listener === null) return;
    const wrappers = this.#wrappers ??= new Map();
    let byType = wrappers.get(type);
    if (byType === undefined) wrappers.set(type, byType = new Map());
    if (byType.has(listener)) return;
    const once = typeof options === "object" && options.once === true;
    const wrapper = (event: Event): void => {
      if (once) byType.delete(listener);
      try {
        if (typeof listener === "function") listener.call(this, event);
        else listener.handleEvent(event);
      } catch (error) {
        this.#report(error);
      }
    };
    byType.set(listener, wrapper);
    super.addEventListener(type, wrapper, options);
  }

  /** Removes a listener added with {@linkcode addEventListener}. */
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    const byType = this.#wrappers?.get(type);
    const wrapper = listener === null ? undefined : byType?.get(listener);
    if (wrapper === undefined) return;
    byType!.delete(listener!);
    super.removeEventListener(type, wrapper, options);
  }

  #handler(type: string): EventHandler {
    return this.#handlers?.[type]?.handler ?? null;
  }

  /** An `on*` handler: one listener of its own (not through addEventListener, which would wrap it again). */
  #setHandler(type: string, fn: EventHandler): void {
    const handlers = this.#handlers ??= {};
    const old = handlers[type];
    if (old !== undefined) super.removeEventListener(type, old.wrapper);
    if (typeof fn !== "function") {
      handlers[type] = undefined;
      return;
    }
    const wrapper = (event: Event): void => {
      try {
        fn.call(this, event);
      } catch (error) {
        this.#report(error);
      }
    };
    handlers[type] = { handler: fn, wrapper };
    super.addEventListener(type, wrapper);
  }

  static {
    readTransport = (socket) => socket.#transport;
    /** The driver of one socket: methods on a prototype, no closures per socket. */
    class Driver implements WebSocketDriver {
      readonly socket: ServerWebSocket;
      constructor(socket: ServerWebSocket) {
        this.socket = socket;
      }
      open(transport: WebSocketTransport): void {
        const socket = this.socket;
        if (socket.#state === CLOSED) return;
        socket.#transport = transport;
        const pending = socket.#closeOnOpen;
        if (pending !== undefined) {
          transport.close(pending.code, pending.reason);
          return;
        }
        socket.#state = OPEN;
        socket.dispatchEvent(new Event("open"));
      }
      text(data: string): void {
        const socket = this.socket;
        if (socket.#state === CLOSED) return;
        socket.dispatchEvent(new MessageEvent("message", { data, origin: socket.#origin }));
      }
      binary(bytes: Uint8Array): void {
        const socket = this.socket;
        if (socket.#state === CLOSED) return;
        const buffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
          ? bytes.buffer as ArrayBuffer
          : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
        const data = socket.#binaryType === "arraybuffer" ? buffer : new Blob([buffer]);
        socket.dispatchEvent(new MessageEvent("message", { data, origin: socket.#origin }));
      }
      error(message: string): void {
        const socket = this.socket;
        if (socket.#state === CLOSED) return;
        socket.dispatchEvent(new WsErrorEvent(message));
      }
      closed(code: number, reason: string, wasClean: boolean): void {
        const socket = this.socket;
        if (socket.#state === CLOSED) return;
        socket.#state = CLOSED;
        socket.dispatchEvent(new WsCloseEvent(code, reason, wasClean));
      }
    }
    makeDriver = (socket, report) => {
      socket.#report = report;
      return new Driver(socket);
    };
  }
}

/** The origin of a `ws:`/`wss:` URL, for `MessageEvent.origin`. */
function originOf(url: string): string {
  const end = url.indexOf("/", url.indexOf("//") + 2);
  return end < 0 ? url : url.slice(0, end);
}

/**
 * The driver of `socket`: how the connection opens it, delivers its messages and reports its close.
 * `report` hears of exceptions thrown by the socket's listeners.
 *
 * @example
 * ```ts ignore
 * const driver = driverOf(socket, (error) => logger.error("WebSocket listener failed", error));
 * driver.open(transport);
 * driver.text("hello");
 * ```
 */
export function driverOf(socket: ServerWebSocket, report: (error: unknown) => void): WebSocketDriver {
  return makeDriver(socket, report);
}

/**
 * The transport `socket` was opened with, or null before it opened: thread mode's relay sends a
 * worker's messages (already UTF-8) and close codes (1011 included) through it, past the socket's own checks.
 *
 * @example
 * ```ts ignore
 * transportOf(socket)?.close(1011, "The worker thread ended");
 * ```
 */
export function transportOf(socket: ServerWebSocket): WebSocketTransport | null {
  return readTransport(socket);
}
