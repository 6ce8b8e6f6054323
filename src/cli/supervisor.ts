/**
 * waitress-serve `--workers=N`: the supervisor (the CLI process itself) and the worker side.
 *
 * The supervisor starts N server processes (each the same command, marked by `WAITRESS_WORKER=<n>`
 * in its environment) that share the listening sockets: through `node:cluster` on Node (the
 * supervisor holds the sockets, the workers accept on them), with SO_REUSEPORT on Deno and Bun (each
 * worker binds the same port; the first worker's real ports go to the others, so port 0 works). It
 * restarts a worker that dies (after 0.1 s, doubling per death in a row up to 10 s), drains every
 * worker on SIGTERM or SIGINT (SIGTERM to each, SIGKILL to those still running after
 * `shutdownTimeout` + 5 s), and on SIGHUP replaces them one at a time: start the new worker, wait
 * until it listens, then drain the old one, so that no connection is refused during the reload.
 *
 * Runtime-free: processes, signals and the clock come in through {@link CliEnv} and the runtime.
 *
 * @module
 */

import type { BoundAddress, Clock, WorkerMessage, WorkerProcess } from "../platform.ts";
import type { Logger } from "../policy/logger.ts";
import type { CliEnv, StopSignal } from "./cli_main.ts";

/** The environment variable that marks a worker process: its number, 1 to `workers`. */
export const WORKER_ENV = "WAITRESS_WORKER";
/** Linux's switch that moves connections queued on a closing SO_REUSEPORT socket to another one. */
const MIGRATE_REQ = "/proc/sys/net/ipv4/tcp_migrate_req";

/**
 * With SO_REUSEPORT a worker that leaves (a reload, a restart) resets the connections the kernel
 * queued for it and it had not accepted, unless Linux migrates them: say so where it is off. A
 * system without the switch (not Linux, or before 5.14) is not reported: nothing can be done there.
 */
async function warnUnlessMigrating(env: CliEnv, logger: Logger, runtime: string): Promise<void> {
  let value: string;
  try {
    value = (await env.readTextFile(MIGRATE_REQ)).trim();
  } catch {
    return;
  }
  if (value !== "0") return;
  logger.warning(`net.ipv4.tcp_migrate_req is 0: on ${runtime} the workers share the port with SO_REUSEPORT, and a worker ` +
    "that is replaced (SIGHUP) or restarted resets connections the kernel queued for it but it had not accepted yet; " +
    "run `sysctl -w net.ipv4.tcp_migrate_req=1` (Linux 5.14+) to have them moved to another worker");
}

/** Set to "1" for workers that bind with SO_REUSEPORT (Deno, Bun). */
export const REUSE_PORT_ENV = "WAITRESS_WORKER_REUSE_PORT";
/** The first worker's addresses (`HOST:PORT ...`), for the others to listen on (Deno, Bun). */
export const LISTEN_ENV = "WAITRESS_WORKER_LISTEN";

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
/** A worker that has served this long resets its slot's back-off. */
const STABLE_MS = 10_000;
/** Beyond `shutdownTimeout`, how long a draining worker may take to exit before SIGKILL. */
const EXIT_GRACE_MS = 5000;

/** What the supervisor needs of the settings. */
export interface SupervisorSettings {
  workers: number;
  shutdownTimeout: number;
  /** Whether the server listens on a Unix socket (Deno and Bun cannot share one). */
  unixSocket: boolean;
}

/** One running worker process. */
interface Running {
  child: WorkerProcess;
  /** Resolves true once it listens, false if it exits first. */
  ready: Promise<boolean>;
  /** Resolves once it has exited. */
  exited: Promise<void>;
  readyAt: number | undefined;
  /** Replaced or being stopped: its exit is expected. */
  retired: boolean;
  addresses: string[];
}

/** A worker number and the process that holds it now. */
interface Slot {
  id: number;
  current: Running | undefined;
  deathsInARow: number;
  cancelRestart: (() => void) | undefined;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}

/**
 * Runs the supervisor of `settings.workers` worker processes until SIGTERM or SIGINT (or, when npm
 * started it, until npm ends), then exits 0 once every worker has drained. Exits 1 when a worker
 * cannot start (it exits before it listens) at the start, or on a second SIGTERM/SIGINT.
 *
 * @example
 * ```ts ignore
 * await superviseWorkers({ workers: 4, shutdownTimeout: 30, unixSocket: false }, env, logger);
 * ```
 */
export async function superviseWorkers(settings: SupervisorSettings, env: CliEnv, logger: Logger): Promise<void> {
  const spawnWorker = env.spawnWorker;
  const runtime = await env.runtime;
  if (spawnWorker === undefined) {
    env.stderr(`Error: --workers=${settings.workers} cannot start processes in this environment: use --workers=1\n`);
    env.exit(1);
    return;
  }
  const reusePort = runtime.name !== "node";
  if (reusePort && settings.unixSocket) {
    env.stderr(`Error: a Unix socket cannot be shared by ${settings.workers} workers on ${runtime.name} (only Node's ` +
      "node:cluster shares one): listen on TCP (--listen), or use --workers=1\n");
    env.exit(1);
    return;
  }
  const clock: Clock = runtime.clock;
  const releaseKeepAlive = env.keepAlive?.();
  const drainMs = settings.shutdownTimeout * 1000 + EXIT_GRACE_MS;
  const slots: Slot[] = Array.from({ length: settings.workers }, (_, i) => ({ id: i + 1, current: undefined, deathsInARow: 0, cancelRestart: undefined }));
  let listen: string | undefined; // the first worker's addresses (reusePort)
  let started = false;
  let stopping = false;
  let reloading = false;
  let finishStartup!: (ok: boolean) => void;
  const startup = new Promise<boolean>((resolve) => (finishStartup = resolve));

  const start = async (slot: Slot): Promise<Running> => {
    const extra: Record<string, string> = { [WORKER_ENV]: String(slot.id) };
    if (reusePort) {
      extra[REUSE_PORT_ENV] = "1";
      if (listen !== undefined) extra[LISTEN_ENV] = listen;
    }
    let onReady!: (ok: boolean) => void;
    let onExit!: () => void;
    const running: Running = {
      child: undefined as unknown as WorkerProcess,
      ready: new Promise<boolean>((resolve) => (onReady = resolve)),
      exited: new Promise<void>((resolve) => (onExit = resolve)),
      readyAt: undefined,
      retired: false,
      addresses: [],
    };
    running.child = await spawnWorker(extra, {
      message: (message: WorkerMessage) => {
        if (message?.type !== "ready") return;
        running.readyAt = clock.now();
        running.addresses = message.addresses;
        onReady(true);
      },
      exit: (code, signal) => {
        onReady(false);
        onExit();
        exited(slot, running, code, signal);
      },
    });
    return running;
  };

  const exited = (slot: Slot, running: Running, code: number | null, signal: string | null): void => {
    if (running.retired || stopping || slot.current !== running) return;
    slot.current = undefined;
    const what = `Worker ${slot.id} (pid ${running.child.pid})`;
    if (!started) {
      env.stderr(`Error: ${what} exited (${describeExit(code, signal)}) before it was ready; see its messages above\n`);
      finishStartup(false);
      return;
    }
    const stable = running.readyAt !== undefined && clock.now() - running.readyAt >= STABLE_MS;
    slot.deathsInARow = stable ? 0 : slot.deathsInARow + 1;
    const delay = Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(slot.deathsInARow - 1, 0), MAX_BACKOFF_MS);
    logger.warning(`${what} died (${describeExit(code, signal)}): starting a replacement in ${delay / 1000} s`);
    slot.cancelRestart = clock.after(delay, () => {
      slot.cancelRestart = undefined;
      if (stopping) return;
      void start(slot).then(async (replacement) => {
        slot.current = replacement;
        if (await replacement.ready) logger.info(`Worker ${slot.id} replaced: pid ${replacement.child.pid}`);
      }, (error) => logger.error(`Cannot start worker ${slot.id}`, error));
    });
  };

  /** SIGTERM now, SIGKILL if it is still running after shutdownTimeout + 5 s. */
  const drain = async (running: Running): Promise<void> => {
    running.retired = true;
    running.child.signal("SIGTERM");
    const cancel = clock.after(drainMs, () => {
      logger.warning(`Worker pid ${running.child.pid} still running ${drainMs / 1000} s after SIGTERM: killing it`);
      running.child.signal("SIGKILL");
    });
    await running.exited;
    cancel();
  };

  const stopAll = (why: string, signal?: StopSignal): void => {
    if (stopping) {
      if (signal === undefined) return;
      env.stderr(`Error: ${signal} received again while shutting down: killing the workers without waiting\n`);
      for (const slot of slots) slot.current?.child.signal("SIGKILL");
      env.exit(1);
      return;
    }
    stopping = true;
    logger.info(`${why}: shutting down ${settings.workers} workers`);
    finishStartup(false);
    for (const slot of slots) slot.cancelRestart?.();
    const all = slots.map((slot) => slot.current).filter((running) => running !== undefined);
    void Promise.all(all.map(drain)).then(() => {
      releaseKeepAlive?.();
      env.exit(0);
    });
  };

  const reload = async (): Promise<void> => {
    if (stopping || !started) return;
    if (reloading) {
      logger.info("Received SIGHUP while reloading: ignored");
      return;
    }
    reloading = true;
    logger.info(`Received SIGHUP: replacing the ${settings.workers} workers one at a time`);
    try {
      for (const slot of slots) {
        if (stopping) return;
        slot.cancelRestart?.(); // a worker that died is replaced by the reload, not twice
        slot.cancelRestart = undefined;
        const old = slot.current;
        const fresh = await start(slot);
        slot.current = fresh;
        if (!(await fresh.ready)) {
          if (slot.current === fresh) slot.current = old;
          logger.error(`Reload stopped: the new worker ${slot.id} exited before it was ready; the other workers keep serving`);
          return;
        }
        if (old === undefined) continue;
        logger.info(`Worker ${slot.id}: pid ${fresh.child.pid} replaces pid ${old.child.pid}`);
        await drain(old);
      }
      logger.info("Reload done");
    } finally {
      reloading = false;
    }
  };

  env.onSignal("SIGTERM", () => stopAll("Received SIGTERM", "SIGTERM"));
  env.onSignal("SIGINT", () => stopAll("Received SIGINT", "SIGINT"));
  env.onSignal("SIGHUP", () => void reload());
  if (env.getEnv?.("npm_command") !== undefined || env.getEnv?.("npm_lifecycle_event") !== undefined) {
    env.onParentExit?.((parent) => stopAll(`The process that started this server (${parent}) ended`));
  }

  logger.info(`Supervisor (pid ${env.pid ?? "?"}): starting ${settings.workers} workers`);
  // The first worker alone: with reusePort, the others listen on its real ports (port 0 works).
  let first: Running;
  try {
    first = await start(slots[0]!);
  } catch (error) {
    env.stderr(`Error: cannot start a worker process: ${error instanceof Error ? error.message : String(error)}\n`);
    releaseKeepAlive?.();
    env.exit(1);
    return;
  }
  slots[0]!.current = first;
  void first.ready.then((ok) => {
    if (!ok) return;
    if (reusePort) listen = first.addresses.join(" ");
    void Promise.all(slots.slice(1).map(async (slot) => {
      if (stopping) return false;
      const running = await start(slot);
      slot.current = running;
      return running.ready;
    })).then((ready) => finishStartup(ready.every(Boolean)), (error) => {
      env.stderr(`Error: cannot start a worker process: ${error instanceof Error ? error.message : String(error)}\n`);
      finishStartup(false);
    });
  });
  if (await startup) {
    started = true;
    const pids = slots.map((slot) => slot.current?.child.pid).join(", ");
    logger.info(`${settings.workers} workers ready (pids ${pids}); SIGHUP replaces them one at a time, SIGTERM stops them`);
    if (reusePort) await warnUnlessMigrating(env, logger, runtime.name);
    return;
  }
  if (stopping) return;
  // A worker could not start: stop the others and fail.
  stopping = true;
  const all = slots.map((slot) => slot.current).filter((running) => running !== undefined);
  await Promise.all(all.map(drain));
  releaseKeepAlive?.();
  env.exit(1);
}

/** What a worker process applies to its settings and reports: from its environment. */
export interface WorkerSetup {
  /** The worker's number. */
  id: number;
  /** Bind TCP listeners with SO_REUSEPORT. */
  reusePort: boolean;
  /** Listen here instead of the configured addresses (the first worker's real ports). */
  listen: string | undefined;
}

/**
 * The worker setup from this process's environment, or undefined when this is not a worker.
 *
 * @example
 * ```ts ignore
 * const setup = workerSetup(env); // { id: 2, reusePort: true, listen: "127.0.0.1:40123" }
 * ```
 */
export function workerSetup(env: CliEnv): WorkerSetup | undefined {
  const id = Number(env.getEnv?.(WORKER_ENV) ?? Number.NaN);
  if (!Number.isSafeInteger(id) || id < 1) return undefined;
  const listen = env.getEnv?.(LISTEN_ENV);
  return { id, reusePort: env.getEnv?.(REUSE_PORT_ENV) === "1", listen: listen === "" ? undefined : listen };
}

/**
 * The message a worker sends once it listens: its pid and addresses (`HOST:PORT`, IPv6 in brackets,
 * or `unix:PATH`).
 *
 * @example
 * ```ts
 * readyMessage([{ transport: "tcp", hostname: "::1", port: 8080 }], 42); // addresses: ["[::1]:8080"]
 * ```
 */
export function readyMessage(addresses: readonly BoundAddress[], pid: number): WorkerMessage {
  return {
    type: "ready",
    pid,
    addresses: addresses.map(({ transport, hostname, port }) =>
      transport === "unix" ? `unix:${hostname}` : `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`),
  };
}
