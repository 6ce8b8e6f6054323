/**
 * Which socket errors are routine: a client that resets or goes away mid-exchange (load generators do
 * it on exit). The core logs those at info and the rest as warnings; it never sees the runtime's
 * error names itself.
 *
 * @module
 */

/** Node's and Bun's codes, and Deno's error class names, for a peer that reset or went away. */
const ROUTINE_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);
const ROUTINE_NAMES = new Set(["ConnectionReset", "BrokenPipe", "ConnectionAborted"]);

/**
 * Whether `error` is a reset or broken pipe (the client left), rather than a fault worth a warning.
 *
 * @example
 * ```ts ignore
 * events.onClose(error, isRoutineSocketError(error));
 * ```
 */
export function isRoutineSocketError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, name } = error as { code?: unknown; name?: unknown };
  return (typeof code === "string" && ROUTINE_CODES.has(code)) || (typeof name === "string" && ROUTINE_NAMES.has(name));
}
