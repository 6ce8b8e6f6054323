/**
 * Unix-socket files, the same on every runtime: a socket file left behind by a dead server is
 * replaced, a live one or a file that is not a socket is refused (with the same words everywhere).
 * Each adapter passes its runtime's file and connect calls.
 *
 * @module
 */

import type { PeerInfo } from "../../src/platform.ts";

/** What {@linkcode removeStaleSocket} needs of the runtime. */
export interface SocketFileOps {
  /** What is at `path` (not following symlinks); `"missing"` when nothing is, or it cannot be read. */
  what(path: string): Promise<"socket" | "other" | "missing">;
  /** Whether a server accepts connections on the socket at `path`. */
  connects(path: string): Promise<boolean>;
  /** Deletes the file at `path`. */
  remove(path: string): Promise<void>;
}

/**
 * Removes a socket file left behind by a dead server; refuses to touch a live socket or a non-socket.
 *
 * @example
 * ```ts ignore
 * await removeStaleSocket("/tmp/app.sock", ops);
 * ```
 */
export async function removeStaleSocket(path: string, ops: SocketFileOps): Promise<void> {
  const what = await ops.what(path);
  if (what === "missing") return;
  if (what === "other") throw new Error(`Cannot listen on unix socket "${path}": a file that is not a socket is in the way`);
  if (await ops.connects(path)) throw new Error(`Cannot listen on unix socket "${path}": another server is listening on it`);
  await ops.remove(path);
}

/**
 * The addresses of every connection on the unix socket at `path` (one object, shared).
 *
 * @example
 * ```ts
 * import { unixPeer } from "./unix_socket.ts";
 * unixPeer("/run/app.sock").localAddress; // "/run/app.sock"
 * ```
 */
export function unixPeer(path: string): PeerInfo {
  return { remoteAddress: "", remotePort: 0, localAddress: path, localPort: 0, unix: true };
}
