/**
 * The runtime-free half of the `waitress-serve` command: command-line arguments (and an
 * optional ini file) in, a running server out. Everything that touches the runtime (importing
 * modules, the file system, output, exit, signals) comes in through a {@link CliEnv}, which
 * `cli.ts` implements for Node, Deno and Bun and tests implement with fakes.
 *
 * @module
 */

import type { Runtime, WorkerMessage, WorkerProcess, WorkerProcessEvents } from "../platform.ts";
import type { FetchHandler } from "../serve/connection.ts";
import type { Server } from "../serve/server.ts";
import { type App, type ServeOptions, startServer, toHandler } from "../serve/start_server.ts";
import { resolveSettings, SETTINGS, type Settings } from "../settings/adjustments.ts";
import { CLI_LOG_LEVEL, CliError, cliHelp, parseCliArgs, splitAppSpec } from "./cli_args.ts";
import { parseIni, settingsFromIni } from "../settings/ini.ts";
import { Logger, type LogLevel, type LogSink } from "../policy/logger.ts";
import { VERSION } from "../version.ts";
import { socketActivation } from "./systemd.ts";
import { readyMessage, superviseWorkers, workerSetup } from "./supervisor.ts";
import { AppFailure, describeThrown, dirnameOf, firstLine, loadHandler, moduleTarget, parseAppRef, resolvePath } from "./app_loader.ts";

export { AppFailure, describeThrown, dirnameOf, parseAppRef, resolvePath } from "./app_loader.ts";

/** The program name used in usage and help text. */
const PROGRAM = "waitress-serve";

/** The signals that stop the server gracefully (SIGHUP reloads the certificate of a TLS server instead). SIGHUP too: Waitress gives it no meaning, and a
 * server that died at once with 129 and no log line (the runtime's default) was a surprise. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";
const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];


/** The usage lines printed after every usage error (the full text is `--help`).
 *
 * @example
 * ```ts
 * console.error(`Error: no application given\n${CLI_USAGE}`);
 * ```
 */
export const CLI_USAGE: string = [
  `Usage: ${PROGRAM} [OPTIONS] MODULE[:EXPORT]`,
  `       ${PROGRAM} --config FILE [OPTIONS] [MODULE[:EXPORT]]`,
  `Run "${PROGRAM} --help" to list every option with its default.`,
].join("\n") + "\n";

/** A module to import, as {@link CliEnv.importModule} receives it.
 *
 * - `file`: an absolute file path (the env turns it into a `file:` URL);
 * - `url`: a URL given as is (`file:`, `https:`, `data:`);
 * - `package`: a bare or scheme specifier (`hono`, `@scope/pkg/sub`, `npm:hono`, `jsr:@x/y`),
 *   to be resolved as if imported from a module in `fromDir`.
 *
 * @example
 * ```ts
 * const target: ModuleTarget = { kind: "file", path: "/srv/app/app.ts" };
 * ```
 */
export type ModuleTarget =
  | { kind: "file"; path: string }
  | { kind: "url"; url: string }
  | { kind: "package"; specifier: string; fromDir: string };

/** The runtime functions the CLI needs; `cli.ts` provides them on every runtime (Node, Deno, Bun).
 *
 * @example
 * ```ts ignore
 * const env: CliEnv = {
 *   importModule: (t) => import(t.kind === "file" ? pathToFileURL(t.path).href : t.kind === "url" ? t.url : t.specifier),
 *   cwd: () => "/srv/app",
 *   readTextFile: (path) => readFile(path, "utf8"),
 *   exists: (path) => access(path).then(() => true, () => false),
 *   stdout: (text) => void stdout.write(text),
 *   stderr: (text) => void stderr.write(text),
 *   exit: (code) => exitProcess(code),
 *   onSignal: (signal, handler) => addSignalHandler(signal, handler),
 *   logger: console,
 *   runtime: loadRuntime(),
 * };
 * ```
 */
export interface CliEnv {
  /** Imports an ES module and returns its namespace object. */
  importModule(target: ModuleTarget): Promise<Record<string, unknown>>;
  /** The current working directory (absolute). */
  cwd(): string;
  /** Reads a UTF-8 text file. */
  readTextFile(path: string): Promise<string>;
  /** Whether a file or directory exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** Writes text to standard output as is. */
  stdout(text: string): void;
  /** Writes text to standard error as is. */
  stderr(text: string): void;
  /** Ends the program with `code` (a fake may record it and return). */
  exit(code: number): void;
  /** Calls `handler` whenever the process receives `signal`. */
  onSignal(signal: StopSignal, handler: () => void): void;
  /** The value of an environment variable, or undefined (without it: none is set). */
  getEnv?(name: string): string | undefined;
  /** Removes an environment variable from this process (socket activation's, once read). */
  unsetEnv?(name: string): void;
  /** This process's id: socket activation checks `LISTEN_PID` against it (without it: never
   * activated); `--workers` puts it in log lines, `server.stats()` and `%P`. */
  pid?: number;
  /** Calls `handler` once when the process that started this one has ended (polled; without it:
   * never). `handler` gets a description of that process for the log, e.g. `pid 4242`. */
  onParentExit?(handler: (parent: string) => void): void;
  /** Where the server's log lines go (console-like). */
  logger: LogSink;
  /** `--workers`: starts a worker process, the same command with `extraEnv` added to the environment
   * (without it: `--workers` above 1 is refused). */
  spawnWorker?(extraEnv: Record<string, string>, events: WorkerProcessEvents): Promise<WorkerProcess>;
  /** In a worker process: sends a message to the supervisor. */
  sendToSupervisor?(message: WorkerMessage): void;
  /** Keeps the process alive (the supervisor, while no worker runs) until the returned function is called. */
  keepAlive?(): () => void;
  /** The runtime's adapter the server runs on (or a promise of it). */
  runtime: Runtime | Promise<Runtime>;
}

/** What the command line asks for, worked out by {@link prepareCli}.
 *
 * @example
 * ```ts ignore
 * const plan = await prepareCli(["--port=8081", "app.ts"], env);
 * if (plan.kind === "serve") startServer(plan.handler, plan.options, env.runtime);
 * ```
 */
export type CliPlan =
  | { kind: "help"; text: string }
  | { kind: "version"; text: string }
  | {
    kind: "serve";
    /** The handler to serve. */
    handler: FetchHandler;
    /** Merged settings (config file, then command line), not yet validated beyond a trial resolve. */
    options: ServeOptions;
    /** The application reference used, as written (`./app.ts:default`). */
    app: string;
    /** The resolved log level. */
    logLevel: LogLevel;
    /** With `threads` > 0: the module each worker imports, and the export to serve. */
    module?: { url: string; exportName: string };
    /** `--workers` and what its supervisor needs to know. */
    supervisor: { workers: number; shutdownTimeout: number; unixSocket: boolean };
    /** Settings warnings as `serve()` words them (camelCase), each with the words of the
     * command line or config file, for the log. */
    warnings?: [serveWords: string, userWords: string][];
    /** Lines for the log before the server starts (socket activation used or ignored). */
    notes?: { level: "info" | "warning"; text: string }[];
    /** The server serves TLS: SIGHUP reloads its certificate instead of stopping it. */
    tls?: boolean;
    /** A setting as the user wrote it (`--tls-cert`, `"tls_cert"`), for messages after start. */
    settingName?: (setting: keyof Settings) => string;
  };

const LISTENING = ["host", "port", "listen", "unixSocket"] as const;

async function readConfig(
  file: string,
  env: CliEnv,
): Promise<{ options: Record<string, string>; app?: string; logLevel?: string; systemdSockets?: boolean; dir: string; file: string }> {
  const path = resolvePath(env.cwd(), file);
  let text: string;
  try {
    text = await env.readTextFile(path);
  } catch (error) {
    throw new CliError(`Cannot read config file ${JSON.stringify(file)}: ${firstLine(error)}`);
  }
  try {
    return { ...settingsFromIni(parseIni(text)), dir: dirnameOf(path), file };
  } catch (error) {
    throw new CliError(`Config file ${JSON.stringify(file)}: ${firstLine(error)}`);
  }
}

/** Turns arguments (without the program name) into a {@link CliPlan}: parses the options, reads
 * `--config`, merges (command line over file), validates the settings, imports the module and
 * checks that the export is a handler. Throws {@link CliError} (or the `TypeError`/`RangeError`
 * of a bad setting) with a one-line message.
 *
 * Precedence: a positional/`--app` application replaces the file's `app`; a command-line
 * setting replaces the file's. A command-line `listen` or `unix-socket` replaces the file's
 * whole listening setup (host, port, listen, unix_socket); a command-line `host` or `port`
 * replaces the file's `listen` and `unix_socket`. The log level comes from `--log-level`, else
 * `log_level` in `[server:main]`, else `[logger_waitress] level`, else `info`.
 *
 * @example
 * ```ts ignore
 * const plan = await prepareCli(["--config", "app.ini", "--port=8081"], env);
 * ```
 */
export async function prepareCli(argv: string[], env: CliEnv): Promise<CliPlan> {
  const cli = parseCliArgs(argv);
  if (cli.help) return { kind: "help", text: cliHelp(PROGRAM) };
  if (cli.version) return { kind: "version", text: `${PROGRAM} (@waitress/core) ${VERSION}\n` };
  if (cli.extraApps.length > 0) {
    const all = [cli.app!, ...cli.extraApps].map((a) => JSON.stringify(a)).join(", ");
    throw new CliError(`Specify one application only; got ${all}`);
  }

  const config = cli.config !== undefined ? await readConfig(cli.config, env) : undefined;
  const fileOptions: Record<string, unknown> = { ...config?.options };
  const given = (name: string) => cli.options[name] !== undefined;
  if (given("listen") || given("unixSocket")) for (const name of LISTENING) delete fileOptions[name];
  else if (given("host") || given("port")) for (const name of ["listen", "unixSocket"]) delete fileOptions[name];
  const options: Record<string, unknown> = { ...fileOptions };
  for (const [name, value] of Object.entries(cli.options)) {
    // Repeated list flags arrive as arrays; settings take space-separated text.
    options[name] = Array.isArray(value) ? value.join(" ") : value;
  }
  options.logLevel ??= config?.logLevel ?? CLI_LOG_LEVEL;

  // Validate before importing anything: a bad setting is cheaper to report than a bad module.
  // Errors name a setting as the user wrote it: its key when it came from the config file, else
  // its --flag (also for a setting given nowhere, e.g. "without --trusted-proxy").
  const name = (setting: keyof Settings): string => {
    const spec = SETTINGS.find((s) => s.name === setting)!;
    if (given(setting)) return `--${spec.flag}`;
    if (setting in fileOptions) return JSON.stringify(spec.snake);
    if (setting === "logLevel" && config?.logLevel !== undefined) return '"level" in [logger_waitress]';
    return `--${spec.flag}`;
  };
  // Before the app's module is imported: the variables are gone before any of its code runs.
  const notes = await socketActivation(cli.systemdSockets, config, options, name, env);
  const { settings, warnings } = resolveSettings(options as ServeOptions, { name });
  const serveWarnings = resolveSettings(options as ServeOptions).warnings;

  let app: string;
  let baseDir: string;
  if (cli.app !== undefined) {
    app = cli.app;
    baseDir = env.cwd();
  } else if (config?.app !== undefined) {
    app = config.app;
    baseDir = config.dir;
  } else {
    throw new CliError(`No application given: pass MODULE[:EXPORT], e.g. ./app.mjs or ./app.ts:handler` +
      (cli.config !== undefined ? `, or set "app = MODULE[:EXPORT]" in [server:main] of ${JSON.stringify(cli.config)}` : ""));
  }
  // Loading it here too validates the export before any worker starts.
  const handler = await loadHandler(app, baseDir, cli.call, env);
  const plan: CliPlan = {
    kind: "serve", handler, options: options as ServeOptions, app, logLevel: settings.logLevel, settingName: name,
    supervisor: { workers: settings.workers, shutdownTimeout: settings.shutdownTimeout, unixSocket: settings.unixSocket !== undefined },
  };
  if (settings.tlsCert !== undefined) plan.tls = true;
  if (warnings.length > 0) plan.warnings = serveWarnings.map((text, i) => [text, warnings[i]!]);
  if (notes.length > 0) plan.notes = notes;
  if (settings.threads > 0) {
    // Workers import the module themselves: a function cannot cross threads.
    if (cli.call) throw new CliError(`--call cannot be used with threads (${settings.threads}): export the app itself, or use --threads=0`);
    const { module, exportPath } = parseAppRef(app);
    const target = await moduleTarget(module, baseDir, env);
    if (target.kind === "package") {
      throw new CliError(`Threads need the app as a file path or URL, not the package ${JSON.stringify(module)}: point at the module file, or use --threads=0`);
    }
    let url: string;
    if (target.kind === "url") url = target.url;
    else {
      const fileUrl = new URL("file:///");
      fileUrl.pathname = target.path;
      url = fileUrl.href;
    }
    plan.module = { url, exportName: exportPath.join(".") };
  }
  return plan;
}

const TLS_SETTINGS = ["tlsCert", "tlsKey", "tlsPassphrase", "tlsCa"] as const;

/** The first line of `error`; when it is about a TLS setting (its `setting`), with the settings named by `name`. */
function namedSettings(error: unknown, name: ((setting: keyof Settings) => string) | undefined): string {
  const line = firstLine(error);
  if (name === undefined || typeof (error as { setting?: unknown } | null)?.setting !== "string") return line;
  return line.replace(/\btls(?:Cert|Key|Passphrase|Ca)\b/g, (setting) => name(setting as keyof Settings));
}

/** Whether npm started this process (`npx`, `npm exec`, `npm start`, `npm run`): npm runs the bin
 * through `sh -c` and does not pass signals on, so a SIGTERM to npm would leave the server running.
 *
 * @example
 * ```ts ignore
 * startedByNpm(env); // true under `npx waitress-serve app.mjs`
 * ```
 */
export function startedByNpm(env: CliEnv): boolean {
  return env.getEnv?.("npm_command") !== undefined || env.getEnv?.("npm_lifecycle_event") !== undefined;
}

/** Runs `waitress-serve`: prints help or the version, or serves the app until SIGINT, SIGTERM or
 * SIGHUP (or, when npm started it, until npm ends), then closes the server gracefully and exits 0
 * (with TLS, SIGHUP reloads the certificate and key instead: new connections get them, open ones go on)
 * (with `--workers` above 1, supervises that many worker processes instead: src/cli/supervisor.ts)
 * (a second signal exits at once with 1). Usage errors print `Error: <reason>` and the usage lines
 * to stderr and exit 1; an app that fails to import (or whose `--call` factory fails) prints
 * `Error: <reason>` and what it threw, with the stack, and exits 1; a listener that cannot be bound
 * prints `Error: Cannot listen on HOST:PORT: <reason>` and exits 1, and so does a server that stops
 * by itself (a listener failed). Resolves to the running server, or `undefined` when the program
 * ended (or is ending) instead.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "./cli_main.ts";
 * await runCli(["--listen=127.0.0.1:8080", "./app.ts"], env);
 * ```
 */
export async function runCli(argv: string[], env: CliEnv): Promise<Server | undefined> {
  let plan: CliPlan;
  try {
    plan = await prepareCli(argv, env);
  } catch (error) {
    if (error instanceof AppFailure) env.stderr(`Error: ${error.message}\n${describeThrown(error.cause)}`);
    else env.stderr(`Error: ${firstLine(error)}\n${CLI_USAGE}`);
    env.exit(1);
    return undefined;
  }
  if (plan.kind === "help" || plan.kind === "version") {
    env.stdout(plan.text);
    env.exit(0);
    return undefined;
  }

  const logger = new Logger(plan.logLevel, env.logger);
  for (const { level, text } of plan.notes ?? []) logger[level](text);
  const worker = workerSetup(env);
  if (worker === undefined && plan.supervisor.workers > 1) {
    if ((plan.options.sockets?.length ?? 0) > 0) {
      // The supervisor's processes share sockets they open themselves; inherited ones stay with it.
      env.stderr(`Error: --workers=${plan.supervisor.workers} cannot serve inherited sockets (socket activation or sockets): ` +
        "run one waitress-serve per socket unit, or pass --no-systemd-sockets and listen with --listen\n");
      env.exit(1);
      return undefined;
    }
    await superviseWorkers(plan.supervisor, env, logger);
    return undefined;
  }
  // startServer() words settings warnings for serve() users (sendBytes); say them as they were given.
  const renamed = new Map((plan.warnings ?? []).map(([from, to]) => [`waitress WARNING: ${from}`, `waitress WARNING: ${to}`]));
  const sink: LogSink = renamed.size === 0 ? env.logger : {
    debug: (...args) => env.logger.debug(...args),
    info: (...args) => env.logger.info(...args),
    warn: (line, ...rest) => env.logger.warn(renamed.get(line as string) ?? line, ...rest),
    error: (...args) => env.logger.error(...args),
  };
  let server: Server;
  const options: ServeOptions = { ...plan.options, logger: sink };
  if (worker !== undefined) {
    options.worker = { id: worker.id, pid: env.pid ?? 0, reusePort: worker.reusePort };
    if (worker.listen !== undefined) {
      for (const name of LISTENING) delete options[name];
      options.listen = worker.listen;
    }
  }
  try {
    server = plan.module
      ? startServer(new URL(plan.module.url), { ...options, export: plan.module.exportName }, env.runtime)
      : startServer(plan.handler, options, env.runtime);
  } catch (error) {
    env.stderr(`Error: ${firstLine(error)}\n${CLI_USAGE}`);
    env.exit(1);
    return undefined;
  }

  let stopping = false;
  const stop = (why: string, signal?: StopSignal) => {
    if (stopping) {
      // A second signal means "now"; the parent ending during a shutdown changes nothing.
      if (signal === undefined) return;
      env.stderr(`Error: ${signal} received again while shutting down: exiting without waiting\n`);
      env.exit(1);
      return;
    }
    stopping = true;
    logger.info(`${why}: shutting down`);
    server.close().then(() => env.exit(0), (error) => {
      env.stderr(`Error: shutting down failed: ${firstLine(error)}\n`);
      env.exit(1);
    });
  };
  // With TLS, SIGHUP reloads the certificate (renewed files, new connections), as nginx does.
  const settingName = plan.settingName;
  const tlsOn = plan.tls === true;
  const rename = (error: unknown): string => namedSettings(error, settingName);
  const reloadTls = () => {
    logger.info("Received SIGHUP: reloading the TLS certificate and key");
    server.reloadTls().catch((error) => logger.error(`Reloading the TLS certificate failed; the one in use stays: ${rename(error)}`));
  };
  for (const signal of STOP_SIGNALS) {
    // A worker stops on its supervisor's SIGTERM; a terminal's SIGINT or SIGHUP reaches the whole
    // process group, and the supervisor decides what it means (SIGHUP: new workers, which read the files anew).
    if (worker !== undefined && signal !== "SIGTERM") env.onSignal(signal, () => logger.debug(`Worker ${worker.id}: ${signal} ignored (the supervisor handles it)`));
    else env.onSignal(signal, () => signal === "SIGHUP" && tlsOn && !stopping ? reloadTls() : stop(`Received ${signal}`, signal));
  }
  if (worker !== undefined) env.onParentExit?.((parent) => stop(`The supervisor (${parent}) ended`));
  else if (startedByNpm(env)) env.onParentExit?.((parent) => stop(`The process that started this server (${parent}) ended`));

  try {
    await server.ready;
  } catch (error) {
    const line = rename(error);
    // The adapters say "Cannot listen on HOST:PORT: <reason>" (adapters/shared/listen_error.ts); anything else
    // (an access log that cannot be opened, a failed name lookup) is not necessarily about listening.
    env.stderr(`Error: ${/^cannot listen\b/i.test(line) ? line : `cannot start the server: ${line}`}\n`);
    env.exit(1);
    return undefined;
  }
  if (worker !== undefined) env.sendToSupervisor?.(readyMessage(server.addresses, env.pid ?? 0));
  // A server that shut itself down (a listener failed) ends the program with 1, never silently with 0.
  void server.finished.then(() => {
    if (stopping || server.failure === undefined) return;
    env.stderr(`Error: the server stopped: ${firstLine(server.failure)}\n`);
    env.exit(1);
  });
  return server;
}
