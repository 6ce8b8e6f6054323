/**
 * Bun's listeners (`Bun.listen`, TCP and unix). Bun accepts in native code: accept errors never
 * reach JavaScript (out of descriptors, it retries by itself).
 *
 * @module
 */

// Bun's file API for what Bun.file cannot do (lstat, chmod, unlink) is its native node:fs.
import { chmod, lstat, unlink } from "node:fs/promises";
import type { AcceptHandler, Listener, ListenerEvents, ListenTcpOptions, TlsContext } from "../../src/platform.ts";
import { ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError, tcpWhere } from "../shared/listen_error.ts";
import { removeStaleSocket, type SocketFileOps, unixPeer } from "../shared/unix_socket.ts";
import { bun, type BunListener } from "./api.ts";
import { handlers } from "./socket.ts";
import type { BunTlsContext } from "./tls.ts";

function toListener(listener: BunListener, transport: "tcp" | "unix", hostname: string, port: number): Listener {
  return {
    address: { transport, hostname, port },
    close(): Promise<void> {
      listener.stop(false);
      return Promise.resolve();
    },
  };
}

/**
 * Opens a TCP listener (the Runtime's `listenTcp`). With `tls`, Bun's TLS listener (ALPN
 * `http/1.1`), whose sockets the core holds from accept, handshake included. Bun cannot change a
 * listener's certificate: `setTls` stops it (accepted connections go on) and listens again at once
 * on the same address (ones the kernel had queued are reset).
 *
 * @example
 * ```ts ignore
 * const listener = await listenTcp("127.0.0.1", 0, 2048, onAccept);
 * ```
 */
export function listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents, options?: ListenTcpOptions): Promise<Listener> {
  const tls = options?.tls;
  const reusePort = options?.reusePort === true; // waitress-serve --workers: every worker listens on the port
  const report = new ListenerReport(events, `${host}:${port}`);
  const socket = handlers(onAccept, undefined, report, tls !== undefined);
  const open = (at: number, context: TlsContext | undefined): BunListener =>
    bun().listen({ hostname: host, port: at, socket, allowHalfOpen: true, ipv6Only: host.includes(":"), backlog, reusePort, ...(context === undefined ? {} : { tls: (context as BunTlsContext).options }) });
  let listener: BunListener;
  try {
    listener = open(port, tls);
  } catch (error) {
    // Bun's own words ("Failed to listen at 127.0.0.1") name no port.
    return Promise.reject(listenError(error, tcpWhere(host, port)));
  }
  const bound = listener.port ?? port;
  report.where = listenerName({ transport: "tcp", hostname: host, port: bound });
  let closed = false;
  const served: Listener = {
    address: { transport: "tcp", hostname: host, port: bound },
    close(): Promise<void> {
      closed = true;
      listener.stop(false);
      return Promise.resolve();
    },
  };
  if (tls !== undefined) {
    served.setTls = (context) => {
      if (closed) return Promise.resolve();
      listener.stop(false);
      try {
        listener = open(bound, context);
      } catch (error) {
        closed = true;
        const failure = listenError(error, tcpWhere(host, bound));
        report.failed(failure);
        return Promise.reject(failure);
      }
      return Promise.resolve();
    };
  }
  return Promise.resolve(served);
}

const ignore = (): void => {};

/** Socket-file housekeeping through Bun's node:fs and a probing `Bun.connect`. */
const socketFiles: SocketFileOps = {
  async what(path) {
    try {
      return (await lstat(path)).isSocket() ? "socket" : "other";
    } catch {
      return "missing";
    }
  },
  async connects(path) {
    try {
      (await bun().connect({ unix: path, socket: { data: ignore } })).end();
      return true;
    } catch {
      return false;
    }
  },
  remove: (path) => unlink(path),
};

/**
 * Opens a unix-socket listener (the Runtime's `listenUnix`), replacing a stale socket file.
 *
 * @example
 * ```ts ignore
 * const listener = await listenUnix("/run/app.sock", 0o600, 2048, onAccept);
 * ```
 */
export async function listenUnix(path: string, perms: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
  await removeStaleSocket(path, socketFiles);
  let listener: BunListener;
  try {
    listener = bun().listen({ unix: path, socket: handlers(onAccept, unixPeer(path), new ListenerReport(events, `unix:${path}`)), allowHalfOpen: true });
  } catch (error) {
    throw listenError(error, `unix:${path}`);
  }
  await chmod(path, perms);
  return toListener(listener, "unix", path, 0);
}
