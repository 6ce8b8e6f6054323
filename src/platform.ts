/**
 * The abstract socket interface the core talks to. Adapters (Node, Deno, Bun) implement it; the core
 * never sees a runtime socket, timer or thread.
 *
 * @module
 */

/**
 * One accepted client connection, as the core sees it.
 *
 * Writes are queued in order. `write()` returns `false` when the adapter's pending output is above its
 * high-water mark; the core then waits for {@linkcode ConnectionEvents.onDrain} before producing more.
 */
export interface SocketHandle {
  /** Queue bytes for sending. The adapter may keep a reference: the caller never reuses the memory. */
  write(data: Uint8Array): boolean;
  /**
   * Optional: queue text, encoded as UTF-8 by the runtime (Node writes strings without a JavaScript
   * buffer). Same return value as `write()`.
   */
  writeText?(text: string): boolean;
  /** Optional: queue several chunks for one gathered write (no copy). Same return value as `write()`. */
  writev?(chunks: Uint8Array[]): boolean;
  /** Send everything queued, then close the write side; keep reading and discarding until the peer closes or the adapter's linger time passes. */
  end(): void;
  /** Close at once, dropping queued output. */
  destroy(): void;
  /** Stop delivering received bytes (backpressure). */
  pauseReading(): void;
  /** Resume delivering received bytes. */
  resumeReading(): void;
}

/** What the adapter tells the core about a connection. The core implements this. */
export interface ConnectionEvents {
  /** Bytes arrived. The adapter hands over the memory: it must not reuse it. */
  onData(chunk: Uint8Array): void;
  /** The peer closed its write side (EOF). */
  onEnd(): void;
  /** Queued output fell below the adapter's high-water mark. */
  onDrain(): void;
  /** The socket is closed for good (after end, destroy, reset or error). Called exactly once. */
  onClose(error?: unknown): void;
}

/** Addresses of an accepted connection. */
export interface PeerInfo {
  /** Client address (IP literal without brackets), or `""` for a unix socket. */
  remoteAddress: string;
  /** Client port, or `0` for a unix socket. */
  remotePort: number;
  /** Local address the connection arrived on, or the socket path for a unix socket. */
  localAddress: string;
  /** Local port, or `0` for a unix socket. */
  localPort: number;
  /** Whether the connection came through a unix socket. */
  unix: boolean;
}

/** A bound listener, as reported by {@linkcode Listener}. */
export interface BoundAddress {
  /** `"tcp"` or `"unix"`. */
  transport: "tcp" | "unix";
  /** IP literal (no brackets) for TCP, socket path for unix. */
  hostname: string;
  /** Port for TCP (the real one when 0 was asked for), 0 for unix. */
  port: number;
}

/** A listening socket an adapter opened. */
export interface Listener {
  /** Where it is bound. */
  readonly address: BoundAddress;
  /** Close the listener. */
  close(): Promise<void>;
}

/**
 * What an adapter reports about one of its listeners: troubles no caller could catch, because they
 * happen in the adapter's accept loop or socket callbacks. The server implements it (it logs, and
 * shuts down when a listener fails).
 */
export interface ListenerEvents {
  /** A line for the server's log: accept errors, exceptions that escaped from one connection. */
  log(level: "debug" | "info" | "warning" | "error", message: string): void;
  /** The listener cannot go on: the adapter has closed it and logged why. */
  failed(error: unknown): void;
}
