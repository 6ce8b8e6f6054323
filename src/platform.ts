/**
 * Every port of the core, in one place: what an adapter (Node, Deno, Bun) provides and the core uses.
 * The core never sees a runtime socket, timer, clock, thread or file; it sees these interfaces.
 *
 * - Sockets: {@linkcode SocketHandle} (one connection), {@linkcode ConnectionEvents} (what the core
 *   hears), {@linkcode PeerInfo}, {@linkcode Listener}, {@linkcode ListenerEvents}, {@linkcode AcceptHandler}.
 * - TLS: {@linkcode TlsPort} (reading and checking certificates), {@linkcode TlsMaterial},
 *   {@linkcode TlsContext}: the adapter encrypts and decrypts; the core still sees plaintext bytes.
 * - Time: {@linkcode Clock} (the time, and timers that never keep the process alive).
 * - Threads: {@linkcode ThreadHandle}, {@linkcode ThreadEvents}.
 * - Files: {@linkcode Files} ({@linkcode TempFile} for spooling, {@linkcode FileSource} for file
 *   bodies, {@linkcode DirFiles} for `serveDir`, {@linkcode AccessLogSink} for the access log).
 * - {@linkcode Runtime}: all of the above for one runtime, plus how a handler's `Request` is built.
 * - WebSocket compression: {@linkcode DeflatePort} (permessage-deflate), {@linkcode MessageCodec} (one connection's).
 * - Processes: {@linkcode WorkerProcess} (one server process of waitress-serve `--workers`, as its
 *   supervisor sees it; `cli.ts` starts them).
 *
 * @module
 */

import type { RequestFactory } from "./web/request.ts";
import type { WorkerInit } from "./threads/thread_protocol.ts";
import type { DeflateParams } from "./ws/permessage_deflate.ts";

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
  /**
   * The socket is closed for good (after end, destroy, reset or error). Called exactly once. `routine`:
   * the adapter recognised `error` as the client resetting or leaving (logged at info, not as a warning).
   */
  onClose(error?: unknown, routine?: boolean): void;
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
  /** Whether the connection is TLS (a listener opened with a {@linkcode TlsContext}): its requests are `https`. */
  secure?: boolean;
}

/** A bound listener, as reported by {@linkcode Listener}. */
export interface BoundAddress {
  /** `"tcp"` or `"unix"`. */
  transport: "tcp" | "unix";
  /** IP literal (no brackets) for TCP, socket path for unix. */
  hostname: string;
  /** Port for TCP (the real one when 0 was asked for), 0 for unix. */
  port: number;
  /**
   * The inherited descriptor this listener serves (`sockets`, socket activation); absent for a
   * listener the adapter bound. A unix socket whose path cannot be found has `hostname` `""`.
   */
  fd?: number;
}

/** A listening socket an adapter opened. */
export interface Listener {
  /** Where it is bound. */
  readonly address: BoundAddress;
  /** Close the listener. */
  close(): Promise<void>;
  /**
   * A TLS listener: serve `context` to the connections accepted from now on; open connections keep
   * theirs. Rejects when the listener cannot go on with it (it has then failed, as
   * {@linkcode ListenerEvents.failed} reports).
   */
  setTls?(context: TlsContext): Promise<void>;
}

/**
 * What a TLS listener serves, as PEM text: the core reads the files, checks the dates and joins the
 * chain; the adapter checks the rest when it prepares a {@linkcode TlsContext}.
 */
export interface TlsMaterial {
  /** The server's certificate, followed by the intermediate CA certificates to send with it. */
  cert: string;
  /** The private key, encrypted when `passphrase` is set. */
  key: string;
  /** The private key's passphrase. */
  passphrase?: string;
}

/** TLS material an adapter has checked and prepared for its listeners. Opaque to the core. */
export interface TlsContext {
  /** The runtime that prepared it (a context only works with its own runtime's listeners). */
  readonly runtime: string;
}

/**
 * TLS, as a runtime provides it. The core never sees encrypted bytes: a TLS listener hands it the
 * plaintext of each connection, which it accepted as soon as the TCP connection was (the header
 * timeout and the connection limit count from then, handshake included).
 */
export interface TlsPort {
  /** Reads a file whole (a PEM file); rejects with an `Error` saying why in a few words (`no such file`, `permission denied`). */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Checks `material` and prepares it. Rejects with an `Error` saying what is wrong, whose `part`
   * (`"cert"`, `"key"` or `"passphrase"`) tells which of the three: the key cannot be read (or
   * decrypted), it does not match the certificate, the certificate cannot be read.
   */
  prepare(material: TlsMaterial): Promise<TlsContext>;
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

/** Called by an adapter for every accepted connection; returns the events sink for it. */
export type AcceptHandler = (socket: SocketHandle, peer: PeerInfo) => ConnectionEvents;

/**
 * The time, and timers. The protocol layer never reads it: the connection and the server read it
 * here and pass the time down, so tests can drive every timeout with a fake clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` every `ms` milliseconds until the returned function is called. Must not keep the process alive. */
  every(ms: number, fn: () => void): () => void;
  /** Calls `fn` once after `ms` milliseconds unless the returned function is called first. Must not keep the process alive. */
  after(ms: number, fn: () => void): () => void;
  /**
   * Calls `fn` once the current task and every microtask it queued have run, before any timer
   * (`setImmediate`): writes made within one turn of the event loop then leave together.
   */
  soon(fn: () => void): void;
}

/** What a thread tells its owner. */
export interface ThreadEvents {
  /** A message from the thread. */
  message(data: unknown): void;
  /** The thread ended (exit, uncaught error, or terminated); `reason` says how, for the log. */
  exit(reason: string): void;
}

/** A running thread, as the runtime provides it. */
export interface ThreadHandle {
  /** Posts a message, transferring the listed buffers. */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Stops the thread at once. */
  terminate(): void | Promise<unknown>;
}

/** A temp file, as an adapter provides it. Already unlinked where the platform allows it. */
export interface TempFile {
  write(data: Uint8Array, position: number): Promise<void>;
  read(into: Uint8Array, position: number): Promise<number>;
  /** Closes and deletes the file. Idempotent. */
  close(): Promise<void>;
}

/** An open file, as an adapter provides it. */
export interface FileSource {
  /** Size in bytes. */
  size: number;
  /** Last modification time (ms since the epoch). */
  mtimeMs: number;
  /**
   * The file's bytes from `start` (default 0) up to `end` (exclusive; default the size), read chunk
   * by chunk as the stream is pulled; closes the file at the end. Once only.
   */
  stream(start?: number, end?: number): ReadableStream<Uint8Array>;
  /** Closes the file without streaming it. */
  close(): Promise<void>;
}

/** What `serveDir()` needs of the file system. */
export interface DirFiles {
  /** The canonical absolute path of `path`, symlinks resolved; rejects when it does not exist. */
  realPath(path: string): Promise<string>;
  /** What `path` is (following symlinks); undefined when it does not exist. */
  kind(path: string): Promise<"file" | "directory" | "other" | undefined>;
  /** Opens a regular file for streaming. */
  open(path: string): Promise<FileSource>;
}

/** Where the access log writes its batches: text of whole lines, each ending in `\n`. */
export interface AccessLogSink {
  /** Writes a batch of lines; a returned promise delays the next batch until it settles. */
  write(text: string): void | Promise<void>;
  /** Releases the sink (closes a file); called once by the access log's `close()`. */
  close?(): void | Promise<void>;
}

/** The file system, as the core uses it. */
export interface Files extends DirFiles {
  /** Creates a temp file for spooling request and response bodies. */
  createTempFile(): Promise<TempFile>;
  /** Opens a file for appending access-log lines. */
  openAppend(path: string): Promise<AccessLogSink>;
}

/** How a TCP listener is opened: shared with other processes (`--workers`), and/or speaking TLS. */
export interface ListenTcpOptions {
  /** Bind with SO_REUSEPORT (Deno, Bun); Node's workers share the socket through `node:cluster` instead. */
  reusePort?: boolean;
  /** The TLS context (from this runtime's {@linkcode TlsPort}): the listener speaks TLS. */
  tls?: TlsContext;
}

/** What an adapter provides: listening sockets, name resolution, the clock, files, threads and the request strategy. */
export interface Runtime {
  /** `"node"`, `"deno"` or `"bun"`. */
  readonly name: string;
  /** How handler `Request`s are built on this runtime. */
  readonly createRequest: RequestFactory;
  /** The time and timers. */
  readonly clock: Clock;
  /** Temp files, file bodies, directories, access-log files. */
  readonly files: Files;
  /**
   * Opens a TCP listener. `host` is an IP literal. `events` hears of accept errors and the listener's
   * failure. `options.reusePort`: bind with SO_REUSEPORT, so that several processes (waitress-serve
   * `--workers`) listen on the same port; Deno and Bun honour it, Node (whose workers share the
   * socket through `node:cluster`) ignores it. With `options.tls` (from this runtime's
   * {@linkcode TlsPort}), the listener speaks TLS (ALPN `http/1.1`).
   */
  listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents, options?: ListenTcpOptions): Promise<Listener>;
  /** Opens a unix-socket listener, replacing a stale socket file and applying `perms`. */
  listenUnix(path: string, perms: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener>;
  /**
   * Listens on an inherited socket, descriptor `fd` (TCP or unix stream, bound by a parent process or
   * a supervisor such as systemd): the `sockets` setting. The listener's address says what the socket
   * is bound to, with `fd` set. Absent where the runtime cannot listen on a descriptor it did not open.
   */
  listenFd?(fd: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener>;
  /** Where `listenFd` is absent: why this runtime cannot, for the error message (one clause, no period). */
  readonly listenFdUnavailable?: string;
  /** TLS listeners; absent where the runtime cannot serve TLS. */
  readonly tls?: TlsPort;
  /** Resolves a host name to IP literals. */
  lookup(host: string): Promise<{ address: string; family: 4 | 6 }[]>;
  /** Runtime-specific preparation before the first server starts (e.g. installing a faster `Response`). */
  setup?(options: { nativeResponse: boolean }): void;
  /** Starts a worker thread that loads `init.moduleUrl` and serves the dispatcher's messages (thread mode). */
  spawnWorker?(init: WorkerInit, events: ThreadEvents): ThreadHandle;
  /**
   * permessage-deflate for WebSocket connections (RFC 7692), loaded on first `create()` (a server that
   * never compresses never loads zlib). Absent where the runtime cannot: then the extension is not negotiated.
   */
  readonly deflate?: DeflatePort;
}

/** What a worker process tells its supervisor (waitress-serve `--workers`). */
export type WorkerMessage =
  /** The worker listens: its addresses, as `HOST:PORT` entries (IPv6 in brackets) or `unix:PATH`. */
  | { type: "ready"; pid: number; addresses: string[] };

/**
 * One server process of waitress-serve `--workers`, as its supervisor sees it. `cli.ts` starts them
 * (`node:cluster` on Node, `node:child_process` with an IPC channel on Deno and Bun).
 *
 * @example
 * ```ts ignore
 * const worker = env.spawnWorker!({ WAITRESS_WORKER: "1" }, { message: console.log, exit: console.log });
 * worker.signal("SIGTERM");
 * ```
 */
export interface WorkerProcess {
  /** Its process id. */
  readonly pid: number;
  /** Sends it a signal; ignored once it has exited. */
  signal(signal: "SIGTERM" | "SIGKILL"): void;
}

/** What the supervisor hears of a {@linkcode WorkerProcess}. */
export interface WorkerProcessEvents {
  /** A message from the worker. */
  message(message: WorkerMessage): void;
  /** It exited: its exit code, or the signal that ended it. Called once. */
  exit(code: number | null, signal: string | null): void;
}

/**
 * One connection's permessage-deflate state (its compressor and decompressor keep their windows
 * between messages unless the params say no context takeover). Calls are issued in order and may
 * overlap (a second `inflate` before the first resolved): results come back in call order and the
 * contexts stay consistent (the codec serializes them).
 *
 * @example
 * ```ts ignore
 * const codec = runtime.deflate!.create(agreed.params);
 * const payload = await codec.inflate(frame.payload, 16 * 1024 * 1024);
 * const reply = await codec.deflate(payload);
 * codec.close();
 * ```
 */
export interface MessageCodec {
  /**
   * Inflates one message's compressed payload (the codec appends 00 00 FF FF, RFC 7692 §7.2.2).
   * Rejects with an Error whose `tooBig` is true as soon as the output would exceed maxBytes (a
   * decompression bomb is stopped without inflating it whole); the decompressor's context is then
   * lost, as after any rejection: the connection should be closed (1009 for `tooBig`, else 1007/1002).
   */
  inflate(data: Uint8Array, maxBytes: number): Promise<Uint8Array>;
  /** Deflates one message's payload and strips the trailing 00 00 FF FF. */
  deflate(data: Uint8Array): Promise<Uint8Array>;
  /** Frees the zlib state; idempotent. Pending calls reject, and so do later ones. */
  close(): void;
}

/**
 * Makes a {@linkcode MessageCodec} per connection from the negotiated {@linkcode DeflateParams}.
 *
 * @example
 * ```ts ignore
 * const agreed = negotiateDeflate(request.headers.get("sec-websocket-extensions") ?? "",
 *   { serverNoContextTakeover: runtime.deflate?.contextTakeover === false });
 * if (agreed !== null && runtime.deflate !== undefined) codec = runtime.deflate.create(agreed.params);
 * ```
 */
export interface DeflatePort {
  /** A codec for one connection: its own compressor and decompressor. */
  create(params: DeflateParams): MessageCodec;
  /**
   * False where the codec cannot keep a window between messages: negotiate with
   * `serverNoContextTakeover` and `clientNoContextTakeover` then. Absent means true (node:zlib on all
   * three runtimes keeps it).
   */
  readonly contextTakeover?: boolean;
}
