/**
 * Deno's listeners (`Deno.listen`, TCP and unix): an accept loop per listener that no single
 * connection's failure can end.
 *
 * @module
 */

import type { AcceptHandler, BoundAddress, Listener, ListenerEvents, ListenTcpOptions, PeerInfo } from "../../src/platform.ts";
import { acceptLoop, ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError, tcpWhere } from "../shared/listen_error.ts";
import { removeStaleSocket, type SocketFileOps, unixPeer } from "../shared/unix_socket.ts";
import { deno, type DenoListener } from "./api.ts";
import { serveConn } from "./socket.ts";
import type { DenoTlsContext } from "./tls.ts";

/** ALPN of TLS listeners: this server speaks HTTP/1.1 only. */
const ALPN = ["http/1.1"];
/** How often a TLS listener reopened by `setTls` retries while Deno still holds the port (about a second in all). */
const REOPEN_ATTEMPTS = 100;

/**
 * Accepts until the listener is closed. An error while accepting (a client that reset before its
 * connection was accepted: Deno's accept then fails with NotConnected) or while setting up one
 * connection never ends the loop; only closing or a broken listening socket does. `reopen` (a TLS
 * listener): opens the same address again with another certificate, for `setTls`.
 */
function serveListener(
  first: DenoListener,
  address: BoundAddress,
  onAccept: AcceptHandler,
  unix: PeerInfo | undefined,
  events: ListenerEvents | undefined,
  reopen?: (context: DenoTlsContext) => DenoListener,
): Listener {
  const report = new ListenerReport(events, listenerName(address));
  let closed = false;
  let listener = first;
  /** Listeners setTls closed to open another. */
  const retired = new WeakSet<DenoListener>();
  const stop = (): void => {
    closed = true;
    try {
      listener.close();
    } catch { /* already closed */ }
  };
  const loop = (current: DenoListener): void =>
    void acceptLoop({
      accept: () => current.accept(),
      serve: (conn) => serveConn(conn, onAccept, unix, report, reopen !== undefined),
      drop: (conn) => conn.close(),
      // A listener replaced by setTls ends its loop quietly.
      closed: () => closed || retired.has(current),
      stop,
      report,
    });
  loop(first);
  const served: Listener = {
    address,
    close(): Promise<void> {
      stop();
      return Promise.resolve();
    },
  };
  if (reopen !== undefined) {
    // Deno cannot change a TLS listener's certificate: the listener is closed and opened again on
    // the same address (accepted connections go on; ones the kernel had queued are reset). Deno
    // frees the port once the pending accept has ended, a turn of the event loop later: until then
    // (a few milliseconds) connection attempts are refused.
    served.setTls = async (context) => {
      if (closed) return;
      const old = listener;
      retired.add(old);
      try {
        old.close();
      } catch { /* already closed */ }
      for (let attempt = 0;; attempt++) {
        try {
          listener = reopen(context as DenoTlsContext);
          break;
        } catch (error) {
          if ((error as { name?: unknown }).name === "AddrInUse" && attempt < REOPEN_ATTEMPTS && !closed) {
            await new Promise((resolve) => setTimeout(resolve, attempt < 10 ? 0 : 10));
            continue;
          }
          closed = true;
          const failure = listenError(error, listenerName(address));
          report.failed(failure);
          throw failure;
        }
      }
      loop(listener);
    };
  }
  return served;
}

/**
 * Opens a TCP listener (the Runtime's `listenTcp`; Deno takes no backlog). With `tls`, a
 * `Deno.listenTls` listener (ALPN `http/1.1`), whose connections the core holds from accept: the
 * handshake runs with the first read, within the header timeout.
 *
 * @example
 * ```ts ignore
 * const listener = await listenTcp("127.0.0.1", 0, 2048, onAccept);
 * ```
 */
export function listenTcp(host: string, port: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents, options?: ListenTcpOptions): Promise<Listener> {
  const tls = options?.tls;
  // reusePort (waitress-serve --workers) is Linux-only and needs --unstable-net, which the supervisor adds.
  const shared = options?.reusePort ? { reusePort: true } : {};
  const open = (at: number, context: DenoTlsContext | undefined): DenoListener =>
    context === undefined
      ? deno().listen({ hostname: host, port: at, transport: "tcp", ...shared })
      : deno().listenTls({ hostname: host, port: at, transport: "tcp", cert: context.cert, key: context.key, alpnProtocols: ALPN, ...shared });
  let listener: DenoListener;
  try {
    listener = open(port, tls as DenoTlsContext | undefined);
  } catch (error) {
    // Deno's own words ("Address already in use (os error 98)") name no address.
    return Promise.reject(listenError(error, tcpWhere(host, port)));
  }
  const addr = listener.addr;
  const bound = addr.port ?? port;
  const reopen = tls === undefined ? undefined : (context: DenoTlsContext) => open(bound, context);
  return Promise.resolve(serveListener(listener, { transport: "tcp", hostname: addr.hostname ?? host, port: bound }, onAccept, undefined, events, reopen));
}

/** Socket-file housekeeping through Deno's file calls and a probing connect. */
const socketFiles: SocketFileOps = {
  async what(path) {
    let info;
    try {
      info = await deno().lstat(path);
    } catch {
      return "missing";
    }
    // isSocket is null where Deno cannot tell (Windows): anything but a plain file may be a socket.
    return info.isFile || info.isSocket === false ? "other" : "socket";
  },
  async connects(path) {
    try {
      (await deno().connect({ transport: "unix", path })).close();
      return true;
    } catch {
      return false;
    }
  },
  remove: (path) => deno().remove(path),
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
  let listener: DenoListener;
  try {
    listener = deno().listen({ transport: "unix", path });
  } catch (error) {
    throw listenError(error, `unix:${path}`);
  }
  await deno().chmod(path, perms);
  return serveListener(listener, { transport: "unix", hostname: path, port: 0 }, onAccept, unixPeer(path), events);
}
