/**
 * Bun's listeners (`Bun.listen`, TCP and unix). Bun accepts in native code: accept errors never
 * reach JavaScript (out of descriptors, it retries by itself).
 *
 * @module
 */

// Bun's file API for what Bun.file cannot do (lstat, chmod, unlink) is its native node:fs.
import { chmod, lstat, unlink } from "node:fs/promises";
import type { AcceptHandler, Listener, ListenerEvents } from "../../src/platform.ts";
import { ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError, tcpWhere } from "../shared/listen_error.ts";
import { removeStaleSocket, type SocketFileOps, unixPeer } from "../shared/unix_socket.ts";
import { bun, type BunListener } from "./api.ts";
import { handlers } from "./socket.ts";

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
 * Opens a TCP listener (the Runtime's `listenTcp`).
 *
 * @example
 * ```ts ignore
 * const listener = await listenTcp("127.0.0.1", 0, 2048, onAccept);
 * ```
 */
export function listenTcp(host: string, port: number, backlog: number, onAccept: AcceptHandler, events?: ListenerEvents, options?: { reusePort?: boolean }): Promise<Listener> {
  const report = new ListenerReport(events, `${host}:${port}`);
  let listener: BunListener;
  try {
    listener = bun().listen({ hostname: host, port, socket: handlers(onAccept, undefined, report), allowHalfOpen: true, ipv6Only: host.includes(":"), backlog, reusePort: options?.reusePort === true });
  } catch (error) {
    // Bun's own words ("Failed to listen at 127.0.0.1") name no port.
    return Promise.reject(listenError(error, tcpWhere(host, port)));
  }
  report.where = listenerName({ transport: "tcp", hostname: host, port: listener.port ?? port });
  return Promise.resolve(toListener(listener, "tcp", host, listener.port ?? port));
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
