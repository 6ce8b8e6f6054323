/**
 * One wording, on every runtime, for listening on an inherited socket (`sockets`, systemd socket
 * activation): how the descriptor is named in messages, and why it cannot be listened on.
 *
 * @module
 */

import { listenError } from "./listen_error.ts";

/**
 * The descriptor as `Cannot listen on ...` messages name it.
 *
 * @example
 * ```ts
 * import { inheritedWhere } from "./inherited.ts";
 * inheritedWhere(3); // "inherited descriptor 3"
 * ```
 */
export function inheritedWhere(fd: number): string {
  return `inherited descriptor ${fd}`;
}

/**
 * Why a descriptor that is not a socket cannot be listened on; `what` says what it is ("a file").
 *
 * @example
 * ```ts
 * import { notASocket } from "./inherited.ts";
 * notASocket("a file"); // "it is a file, not a socket: pass the descriptor of a bound TCP or unix stream socket"
 * ```
 */
export function notASocket(what: string): string {
  return `it is ${what}, not a socket: pass the descriptor of a bound TCP or unix stream socket`;
}

/**
 * Why a socket could not be listened on (`EINVAL` from listen(2)): a datagram socket, or one that is
 * connected rather than bound.
 *
 * @example
 * ```ts
 * import { notAStreamSocket } from "./inherited.ts";
 * notAStreamSocket(); // "the socket cannot listen (EINVAL): it must be a bound TCP or unix stream socket, not a datagram or connected one"
 * ```
 */
export function notAStreamSocket(): string {
  return "the socket cannot listen (EINVAL): it must be a bound TCP or unix stream socket, not a datagram or connected one";
}

/** What /proc says about a socket: the texts of `/proc/self/fd/N`'s link and of `/proc/net/*`. */
export interface ProcSocketFiles {
  /** The link of `/proc/self/fd/N`: `socket:[INODE]` for a socket. */
  link: string;
  /** `/proc/net/tcp`, `/proc/net/tcp6` and `/proc/net/unix`, where readable. */
  tcp?: string;
  tcp6?: string;
  unix?: string;
}

/** Four little-endian 32-bit words of hex (as /proc/net/tcp6 writes them) as an IPv6 literal. */
function ipv6FromProc(hex: string): string {
  const groups: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    const bytes = [6, 4, 2, 0].map((i) => parseInt(word.slice(i, i + 2), 16));
    groups.push((bytes[0]! << 8) | bytes[1]!, (bytes[2]! << 8) | bytes[3]!);
  }
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`;
  }
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const text = groups.map((g) => g.toString(16));
  if (best < 0) return text.join(":");
  return `${text.slice(0, best).join(":")}::${text.slice(best + bestLength).join(":")}`;
}

/**
 * Where an inherited socket is bound, from Linux's /proc (for runtimes that do not say): a TCP
 * socket's address and port, or a unix socket's path (`""` for an unnamed or abstract one);
 * undefined when /proc does not know the socket (another OS).
 *
 * @example
 * ```ts
 * import { procSocketAddress } from "./inherited.ts";
 * const tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
 *   "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n";
 * procSocketAddress({ link: "socket:[4242]", tcp }); // { transport: "tcp", hostname: "127.0.0.1", port: 8080 }
 * ```
 */
export function procSocketAddress(files: ProcSocketFiles): { transport: "tcp" | "unix"; hostname: string; port: number } | undefined {
  const inode = /^socket:\[(\d+)\]$/.exec(files.link)?.[1];
  if (inode === undefined) return undefined;
  for (const [text, v6] of [[files.tcp, false], [files.tcp6, true]] as const) {
    for (const line of (text ?? "").split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[9] !== inode) continue;
      const [address, port] = (fields[1] ?? "").split(":");
      if (address === undefined || port === undefined) continue;
      const hostname = v6 ? ipv6FromProc(address) : [6, 4, 2, 0].map((i) => parseInt(address.slice(i, i + 2), 16)).join(".");
      return { transport: "tcp", hostname, port: parseInt(port, 16) };
    }
  }
  for (const line of (files.unix ?? "").split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const fields = line.trim().split(/\s+/);
    if (fields[6] !== inode) continue;
    const path = fields.slice(7).join(" ");
    return { transport: "unix", hostname: path.startsWith("@") ? "" : path, port: 0 };
  }
  return undefined;
}

/** What `fstat` tells of a descriptor, as node:fs's `Stats` (Node's and Bun's) says it. */
export interface DescriptorStat {
  isSocket(): boolean;
  isFile(): boolean;
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
}

/**
 * Throws `Cannot listen on inherited descriptor N: ...` unless `fd` is an open socket, saying what
 * it is instead (a runtime's own answer is a bare `EINVAL`, or nothing). `fstat` is the runtime's.
 *
 * @example
 * ```ts ignore
 * import { fstatSync } from "node:fs";
 * checkInheritedSocket(3, fstatSync);
 * ```
 */
export function checkInheritedSocket(fd: number, fstat: (fd: number) => DescriptorStat): void {
  let stat: DescriptorStat;
  try {
    stat = fstat(fd);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw listenError(code === "EBADF" ? new Error("the descriptor is not open in this process (was it passed to it?)") : error, inheritedWhere(fd));
  }
  if (stat.isSocket()) return;
  const what = stat.isFile() ? "a file" : stat.isDirectory() ? "a directory" : stat.isFIFO() ? "a pipe"
    : stat.isCharacterDevice() ? "a character device (a terminal?)" : "something else";
  throw listenError(new Error(notASocket(what)), inheritedWhere(fd));
}
