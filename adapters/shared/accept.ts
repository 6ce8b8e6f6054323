/**
 * Accept errors and per-connection faults, shared by the adapters. One connection's failure must never
 * reach the listener or another connection: an accept error is the peer's doing (accept again at once),
 * or descriptors or memory ran out (back off, as nginx does for 500 ms, and log once per episode), or
 * the listening socket itself is gone (the listener cannot go on: it is reported as failed, so the
 * server shuts down and `waitress-serve` exits non-zero instead of running out of work and exiting 0).
 *
 * @module
 */

import type { BoundAddress, ListenerEvents } from "../../src/platform.ts";

/** How long accepting pauses after the process ran out of descriptors or memory (nginx: 500 ms). */
export const RESOURCE_BACKOFF_MS = 500;
/** How long accepting pauses after an error of an unknown kind (never a busy loop). */
export const UNKNOWN_BACKOFF_MS = 100;
/** Accept-error warnings of one listener are at least this far apart (at the limit, episodes flap). */
const WARN_INTERVAL_MS = 10_000;

/** What an accept error means for the listener. */
export type AcceptErrorKind = "peer" | "resources" | "unknown" | "fatal";

// The peer left before (or while) its connection was accepted: nothing to do but accept the next one.
const PEER_GONE = new Set([
  "ECONNABORTED", "ECONNRESET", "ENOTCONN", "EPROTO", "EPERM", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH",
  "ENETDOWN", "EHOSTDOWN", "ENONET", "ENOPROTOOPT", "EAGAIN", "EWOULDBLOCK", "EINTR",
  // Deno's error class names for the same
  "ConnectionAborted", "ConnectionReset", "NotConnected", "TimedOut",
]);
// The process or the system is out of descriptors, buffers or memory: new connections free nothing.
const OUT_OF_RESOURCES = new Set(["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]);
// The listening socket itself is broken or gone.
const LISTENER_GONE = new Set(["EBADF", "EINVAL", "ENOTSOCK", "EOPNOTSUPP", "BadResource"]);

/**
 * The errno-style code of an error (`EMFILE`), else Deno's error class name (`BadResource`), else `""`.
 *
 * @example
 * ```ts
 * import { errorCode } from "./accept.ts";
 * errorCode(Object.assign(new Error("Too many open files"), { code: "EMFILE" })); // "EMFILE"
 * ```
 */
export function errorCode(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code !== "") return code;
  const name = (error as { name?: unknown }).name;
  return typeof name === "string" && name !== "Error" ? name : "";
}

/**
 * What an accept error means: `peer` (accept again at once), `resources` (back off), `unknown` (back
 * off a little) or `fatal` (the listener cannot go on).
 *
 * @example
 * ```ts
 * import { acceptErrorKind } from "./accept.ts";
 * acceptErrorKind(Object.assign(new Error("aborted"), { code: "ECONNABORTED" })); // "peer"
 * ```
 */
export function acceptErrorKind(error: unknown): AcceptErrorKind {
  const code = errorCode(error);
  if (PEER_GONE.has(code)) return "peer";
  if (OUT_OF_RESOURCES.has(code)) return "resources";
  if (LISTENER_GONE.has(code)) return "fatal";
  return "unknown";
}

/** How long to wait before accepting again after an error of `kind`. */
export function retryDelay(kind: AcceptErrorKind): number {
  return kind === "resources" ? RESOURCE_BACKOFF_MS : kind === "unknown" ? UNKNOWN_BACKOFF_MS : 0;
}

function describe(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  return code === "" || message.includes(code) ? message : `${code}: ${message}`;
}

/**
 * A listener as log lines name it: `127.0.0.1:8080`, `[::1]:8080` or `unix:/run/app.sock`.
 *
 * @example
 * ```ts
 * import { listenerName } from "./accept.ts";
 * listenerName({ transport: "tcp", hostname: "::1", port: 8080 }); // "[::1]:8080"
 * ```
 */
export function listenerName(address: BoundAddress): string {
  if (address.transport === "unix") return `unix:${address.hostname}`;
  return `${address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname}:${address.port}`;
}

/** Where a listener's lines go when the caller gave no {@linkcode ListenerEvents} (never silent about errors). */
const CONSOLE_EVENTS: ListenerEvents = {
  log(level, message) {
    if (level === "warning") console.warn(message);
    else if (level === "error") console.error(message);
  },
  failed(error) {
    console.error("waitress ERROR: a listener failed", error);
  },
};

/**
 * One listener's report of its troubles: accept errors logged once per episode (a flood of them is
 * one warning, then one line when accepting works again; at most one episode every 10 s), exceptions that escaped from one connection
 * logged at error level, and the listener's failure.
 *
 * @example
 * ```ts ignore
 * const report = new ListenerReport(events, "127.0.0.1:8080");
 * const delay = report.acceptError(error); // undefined: the listener cannot go on
 * report.accepted(); // after each successful accept
 * ```
 */
export class ListenerReport {
  readonly #events: ListenerEvents;
  /** The listener as log lines name it (set again once the real port is known). */
  where: string;
  /** Accept errors (other than the peer's doing) since the last successful accept. */
  #failures = 0;
  /** Whether this episode's warning was logged (then its end is too). */
  #warned = false;
  #warnedAt = -Infinity;
  #failed = false;

  /** A report for the listener at `where` (as printed in log lines). */
  constructor(events: ListenerEvents | undefined, where: string) {
    this.#events = events ?? CONSOLE_EVENTS;
    this.where = where;
  }

  /**
   * Logs an accept error and tells how many milliseconds to wait before accepting again, or
   * `undefined` when the listener cannot go on (then call {@linkcode ListenerReport.failed}).
   */
  acceptError(error: unknown): number | undefined {
    const kind = acceptErrorKind(error);
    if (kind === "fatal") return undefined;
    const delay = retryDelay(kind);
    if (kind === "peer") {
      this.#events.log("debug", `Accepting on ${this.where}: the client left first (${describe(error)})`);
    } else if (this.#failures++ === 0 && Date.now() - this.#warnedAt >= WARN_INTERVAL_MS) {
      this.#warned = true;
      this.#warnedAt = Date.now();
      const what = kind === "resources" ? "out of descriptors or memory" : "unexpected error";
      this.#events.log("warning", `Cannot accept connections on ${this.where}, ${what} (${describe(error)}): retrying every ${delay} ms, open connections go on`);
    }
    return delay;
  }

  /** A connection was accepted: ends an episode of accept errors (logged once). */
  accepted(): void {
    if (this.#failures === 0) return;
    if (this.#warned) this.#events.log("info", `Accepting connections on ${this.where} again (after ${this.#failures} failed attempts)`);
    this.#failures = 0;
    this.#warned = false;
  }

  /** An exception escaped from serving one connection; the caller closes that connection only. */
  connectionError(error: unknown): void {
    const detail = error instanceof Error ? error.stack ?? error.message : String(error);
    this.#events.log("error", `A connection on ${this.where} failed and was closed (other connections go on): ${detail}`);
  }

  /** The listener cannot go on: logged at error level and reported once. */
  failed(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#events.log("error", `The listener on ${this.where} failed and cannot accept connections any more (${describe(error)})`);
    this.#events.failed(error);
  }
}

/** What {@linkcode acceptLoop} works with. */
export interface AcceptLoopOptions<C> {
  /** Waits for the next connection. */
  accept(): Promise<C>;
  /** Sets up one accepted connection. */
  serve(conn: C): void;
  /** Closes a connection whose setup threw. */
  drop(conn: C): void;
  /** Whether the listener was closed on purpose (then accept errors end the loop quietly). */
  closed(): boolean;
  /** Closes the listener (when it cannot go on). */
  stop(): void;
  /** Where errors are reported. */
  report: ListenerReport;
}

/**
 * Accepts connections until the listener is closed, for adapters whose listener is a promise-returning
 * `accept()` (Deno). An error while accepting or setting up one connection never ends the loop: only
 * the listener's closing (`closed()` true) or its failure does, and a failure is reported.
 *
 * @example
 * ```ts ignore
 * void acceptLoop({ accept: () => listener.accept(), serve, drop: (c) => c.close(), closed: () => closed, stop, report });
 * ```
 */
export async function acceptLoop<C>(options: AcceptLoopOptions<C>): Promise<void> {
  const { report } = options;
  for (;;) {
    let conn: C;
    try {
      conn = await options.accept();
    } catch (error) {
      if (options.closed()) return;
      const delay = report.acceptError(error);
      if (delay === undefined) {
        options.stop();
        return report.failed(error);
      }
      // A referenced timer: the process must not run out of work (and exit 0) while backing off.
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (options.closed()) return;
      continue;
    }
    report.accepted();
    try {
      options.serve(conn);
    } catch (error) {
      report.connectionError(error);
      try {
        options.drop(conn);
      } catch { /* already closed */ }
    }
  }
}
