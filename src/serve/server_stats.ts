/**
 * What a running server reports about itself ({@linkcode ServerStats}, from `server.stats()`) and
 * which process of waitress-serve `--workers` it is ({@linkcode WorkerIdentity}).
 *
 * @module
 */

/** Counters and gauges of a running server, from `server.stats()`. */
export interface ServerStats {
  /** Client connections open now, including ones waiting at the connection limit, not counting `closingConnections`. */
  connections: number;
  /** Connections accepted above the connection limit and not served yet (silent ones included). */
  waitingConnections: number;
  /** Connections the server has closed whose socket is still open (lingering: the client reads the last response). They do not count against `connectionLimit`. */
  closingConnections: number;
  /** Requests being served now. */
  requestsInFlight: number;
  /** Requests answered since the server started. */
  requests: number;
  /** Connections accepted since the server started. */
  connectionsAccepted: number;
  /** Bytes received from clients. */
  bytesIn: number;
  /** Bytes sent to clients. */
  bytesOut: number;
  /** Responses by status class. */
  responses: { "1xx": number; "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  /** Failures by kind: malformed requests (400), limits (413/414/431), timeouts (408), handler errors (500), others 4xx/5xx. */
  errors: { badRequest: number; tooLarge: number; timeout: number; handler: number; other: number };
  /** Worker pool (`threads` > 0): requests waiting for a worker. */
  queuedTasks: number;
  /** Worker pool: workers running a request. */
  busyWorkers: number;
  /** Worker pool: workers waiting for one. */
  idleWorkers: number;
  /** Under waitress-serve `--workers`: which server process this is (1 to `workers`) and its pid. Absent otherwise. */
  worker?: WorkerIdentity;
}

/**
 * Which server process of waitress-serve `--workers` a server is: its number (1 to `workers`; a
 * replacement keeps the number of the worker it replaces) and its pid. `reusePort`: bind TCP
 * listeners with SO_REUSEPORT (Deno and Bun; Node's workers share sockets through `node:cluster`).
 *
 * @example
 * ```ts
 * const worker: WorkerIdentity = { id: 2, pid: 4242 };
 * ```
 */
export interface WorkerIdentity {
  /** The worker's number, 1 to `workers`. */
  id: number;
  /** Its process id. */
  pid: number;
  /** Bind TCP listeners with SO_REUSEPORT. */
  reusePort?: boolean;
}
