/**
 * One wording for a listener that cannot be bound, on every runtime. Node says `listen EADDRINUSE:
 * address already in use 127.0.0.1:8080`, Deno `Address already in use (os error 98)` and Bun `Failed
 * to listen at 127.0.0.1`: only Node's names the port. All three set the errno-style `code`, so the
 * adapters rewrap their error as `Cannot listen on 127.0.0.1:8080: the address is already in use`.
 *
 * @module
 */

// What each code means for someone starting a server; other codes keep the runtime's own words.
const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: "the address is already in use (another server is listening on it)",
  EACCES: "permission denied (ports below 1024 need privileges)",
  EPERM: "permission denied",
  EADDRNOTAVAIL: "the address is not available on this machine",
};

/**
 * The error to reject `listen` with: `Cannot listen on WHERE: REASON`, keeping the original as
 * `cause` and its `code` (so callers can still test for `EADDRINUSE`).
 *
 * @example
 * ```ts
 * import { listenError } from "./listen_error.ts";
 * const e = listenError(Object.assign(new Error("Failed to listen at 127.0.0.1"), { code: "EADDRINUSE" }), "127.0.0.1:8080");
 * e.message; // "Cannot listen on 127.0.0.1:8080: the address is already in use (another server is listening on it)"
 * ```
 */
export function listenError(error: unknown, where: string): Error {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const known = typeof code === "string" ? REASONS[code] : undefined;
  if (known === undefined && error instanceof Error && error.message.startsWith("Cannot listen on ")) return error;
  const own = error instanceof Error ? error.message : String(error);
  const wrapped = new Error(`Cannot listen on ${where}: ${known ?? own}`, { cause: error });
  if (typeof code === "string") (wrapped as Error & { code?: string }).code = code;
  return wrapped;
}

/**
 * `host:port` as a listener is named in messages (`[::1]:8080` for IPv6).
 *
 * @example
 * ```ts
 * import { tcpWhere } from "./listen_error.ts";
 * tcpWhere("::1", 8080); // "[::1]:8080"
 * ```
 */
export function tcpWhere(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
