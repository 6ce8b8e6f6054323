/**
 * Bun's listeners on inherited sockets (the `sockets` setting, systemd socket activation):
 * `Bun.listen({ fd })`, TCP or unix. Loaded on first use: a server that binds its own addresses
 * never needs it.
 *
 * @module
 */

// Bun's file API for what Bun.file cannot do (fstat, readlink) is its native node:fs.
import { fstatSync, readFileSync, readlinkSync } from "node:fs";
import type { AcceptHandler, Listener, ListenerEvents } from "../../src/platform.ts";
import { ListenerReport, listenerName } from "../shared/accept.ts";
import { listenError } from "../shared/listen_error.ts";
import { unixPeer } from "../shared/unix_socket.ts";
import { checkInheritedSocket, inheritedWhere, notAStreamSocket, procSocketAddress } from "../shared/inherited.ts";
import { bun, type BunListener } from "./api.ts";
import { handlers } from "./socket.ts";

/** Reads a /proc file, or undefined (no /proc, not Linux). */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return undefined;
  }
}

/**
 * Listens on an inherited socket (the Runtime's `listenFd`): `Bun.listen({ fd })`, TCP or unix. Bun
 * does not say where the socket is bound, so the address comes from /proc (Linux; elsewhere a TCP
 * socket reports port 0 and a unix socket an empty path). Bun listens with its own backlog.
 *
 * @example
 * ```ts ignore
 * const listener = await listenFd(3, 2048, onAccept); // systemd socket activation
 * ```
 */
export function listenFd(fd: number, _backlog: number, onAccept: AcceptHandler, events?: ListenerEvents): Promise<Listener> {
  let found;
  try {
    checkInheritedSocket(fd, fstatSync);
    let link = "";
    try {
      link = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // no /proc
    }
    found = procSocketAddress({ link, tcp: readProc("/proc/net/tcp"), tcp6: readProc("/proc/net/tcp6"), unix: readProc("/proc/net/unix") });
  } catch (error) {
    return Promise.reject(error);
  }
  const address = { transport: found?.transport ?? "tcp", hostname: found?.hostname ?? "", port: found?.port ?? 0, fd } as const;
  const report = new ListenerReport(events, `${listenerName(address)} (descriptor ${fd})`);
  const unix = address.transport === "unix" ? unixPeer(address.hostname) : undefined;
  let listener: BunListener;
  try {
    listener = bun().listen({ fd, socket: handlers(onAccept, unix, report), allowHalfOpen: true });
  } catch (error) {
    // Bun's words for a socket it cannot listen on (a datagram one) name nothing: "Failed to listen at ".
    const vague = error instanceof Error && /^Failed to listen at\s*$/.test(error.message);
    return Promise.reject(listenError(vague ? Object.assign(new Error(notAStreamSocket()), { cause: error }) : error, inheritedWhere(fd)));
  }
  return Promise.resolve({
    address,
    close(): Promise<void> {
      listener.stop(false);
      return Promise.resolve();
    },
  });
}
