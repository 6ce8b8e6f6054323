/**
 * Unix-socket housekeeping shared by the Node and Bun adapters: replacing a stale socket file and
 * setting permissions.
 *
 * @module
 */

import * as net from "node:net";
import { chmod, lstat, unlink } from "node:fs/promises";

/**
 * Removes a socket file left behind by a dead server; refuses to touch a live socket or a non-socket.
 *
 * @example
 * ```ts ignore
 * await removeStaleSocket("/tmp/app.sock");
 * ```
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return; // nothing there
  }
  if (!info.isSocket()) throw new Error(`Cannot listen on unix socket "${path}": a file that is not a socket is in the way`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (live) throw new Error(`Cannot listen on unix socket "${path}": another server is listening on it`);
  await unlink(path);
}

/**
 * Sets a socket file's permission bits.
 *
 * @example
 * ```ts ignore
 * await chmodPath("/tmp/app.sock", 0o600);
 * ```
 */
export function chmodPath(path: string, mode: number): Promise<void> {
  return chmod(path, mode);
}
