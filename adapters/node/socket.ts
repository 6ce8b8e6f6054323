/**
 * Node's sockets behind the core's {@linkcode SocketHandle}: one `node:net` socket per connection,
 * its events wired to the core through listeners shared by every socket.
 *
 * @module
 */

import type * as net from "node:net";
import type { AcceptHandler, ConnectionEvents, PeerInfo, SocketHandle } from "../../src/platform.ts";
import { Lingering } from "../shared/linger.ts";
import { isRoutineSocketError } from "../shared/socket_errors.ts";
import type { ListenerReport } from "../shared/accept.ts";

const lingering = new Lingering<net.Socket>((socket) => socket.destroy(), (timer) => timer.unref());

/** Where a listener is bound: a wildcard address says nothing about a connection's local address. */
export interface Bound {
  host: string;
  port: number;
}

/**
 * The addresses of a TCP connection. The remote ones are read at once (kept for logs after the socket
 * is gone). The local address of a listener bound to one address is that address; only a wildcard
 * listener looks it up (a syscall), on first use.
 */
class TcpPeer implements PeerInfo {
  readonly unix = false;
  readonly secure: boolean;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  readonly #socket: net.Socket;
  readonly #boundHost: string;
  #localAddress: string | undefined;

  constructor(socket: net.Socket, bound: Bound, secure: boolean) {
    this.secure = secure;
    this.#socket = socket;
    this.#boundHost = bound.host;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? "");
    this.remotePort = socket.remotePort ?? 0;
    this.localPort = bound.port;
  }
  get localAddress(): string {
    if (this.#localAddress === undefined) {
      const host = this.#boundHost;
      this.#localAddress = host === "0.0.0.0" || host === "::" ? normalizeAddress(this.#socket.localAddress ?? "") : host;
    }
    return this.#localAddress;
  }
}

/** The core's view of one Node socket. Methods on a prototype: no closures per connection. */
class NodeSocketHandle implements SocketHandle {
  readonly socket: net.Socket;
  readonly report: ListenerReport;
  events: ConnectionEvents | undefined;
  closing = false;
  lastError: unknown;
  /** A TLS socket before its handshake completed: its errors are the client's (plain HTTP, a certificate it refused). */
  handshaking = false;

  constructor(socket: net.Socket, report: ListenerReport) {
    this.socket = socket;
    this.report = report;
  }
  write(data: Uint8Array): boolean {
    return this.socket.write(data);
  }
  writeText(text: string): boolean {
    return this.socket.write(text);
  }
  writev(chunks: Uint8Array[]): boolean {
    // Corked writes leave as one writev syscall.
    const socket = this.socket;
    socket.cork();
    let ok = true;
    for (const chunk of chunks) ok = socket.write(chunk);
    socket.uncork();
    return ok;
  }
  end(): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.end();
    this.socket.resume(); // keep draining input so the kernel does not answer it with a reset
    lingering.add(this.socket);
  }
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }
  pauseReading(): void {
    this.socket.pause();
  }
  resumeReading(): void {
    if (!this.closing) this.socket.resume();
  }
}

const kHandle = Symbol("waitress.handle");
type WiredSocket = net.Socket & { [kHandle]: NodeSocketHandle };

/**
 * An exception that escaped one socket's callback closes that socket only: thrown from an event
 * listener, it would be an uncaught exception and end the process.
 */
function fault(socket: WiredSocket, error: unknown): void {
  socket[kHandle].report.connectionError(error);
  socket.destroy();
}

// Shared listeners (Node calls them with the socket as `this`): none allocated per connection.
function onSocketData(this: WiredSocket, chunk: Uint8Array): void {
  const handle = this[kHandle];
  try {
    if (!handle.closing) handle.events!.onData(chunk);
  } catch (error) {
    fault(this, error);
  }
}
function onSocketEnd(this: WiredSocket): void {
  try {
    this[kHandle].events!.onEnd();
  } catch (error) {
    fault(this, error);
  }
}
function onSocketDrain(this: WiredSocket): void {
  try {
    this[kHandle].events!.onDrain();
  } catch (error) {
    fault(this, error);
  }
}
function onSocketError(this: WiredSocket, error: Error): void {
  this[kHandle].lastError = error;
}
function onSocketClose(this: WiredSocket): void {
  const handle = this[kHandle];
  lingering.delete(this);
  try {
    handle.events!.onClose(handle.lastError, handle.handshaking || isRoutineSocketError(handle.lastError));
  } catch (error) {
    handle.report.connectionError(error);
  }
}

function onSocketSecure(this: WiredSocket): void {
  this[kHandle].handshaking = false;
}
function ignore(): void {}

/**
 * Connects an accepted socket to the core. `peer` is a unix socket's fixed peer, or the TCP listener's
 * bound address. `raw`: `socket` is a TLS socket wrapping this accepted TCP socket.
 */
export function wire(socket: net.Socket, onAccept: AcceptHandler, peer: PeerInfo | Bound, report: ListenerReport, raw?: net.Socket): void {
  report.accepted();
  // Listeners first: a socket reset during setup still reports its error and close to someone.
  socket.on("error", onSocketError);
  // The TLS socket took over the TCP socket's handle: anything the TCP socket still reports is the TLS socket's too.
  if (raw !== undefined) raw.on("error", ignore);
  try {
    const handle = new NodeSocketHandle(socket, report);
    (socket as WiredSocket)[kHandle] = handle;
    if (raw !== undefined) {
      handle.handshaking = true;
      socket.once("secure", onSocketSecure);
    }
    handle.events = onAccept(handle, "unix" in peer ? peer : new TcpPeer(raw ?? socket, peer, raw !== undefined));
  } catch (error) {
    report.connectionError(error);
    socket.destroy();
    return;
  }
  socket.on("data", onSocketData);
  socket.on("end", onSocketEnd);
  socket.on("drain", onSocketDrain);
  socket.on("close", onSocketClose);
}

/** Node reports IPv4 peers of a dual-stack socket as `::ffff:a.b.c.d`; the core wants `a.b.c.d`. */
function normalizeAddress(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

