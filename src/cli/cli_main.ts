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

/** The program name used in usage and help text. */
const PROGRAM = "waitress-serve";

/** The signals that stop the server gracefully (SIGHUP reloads the certificate of a TLS server instead). SIGHUP too: Waitress gives it no meaning, and a
 * server that died at once with 129 and no log line (the runtime's default) was a surprise. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";
const STOP_SIGNALS: readonly StopSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** A failure of the app itself (its module threw while being imported, its factory threw): not a
 * usage error, so it is printed with the cause's stack and without the usage lines.
 *
 * @example
 * ```ts
 * throw new AppFailure('Importing "app.mjs" failed: boom', new Error("boom"));
 * ```
 */
export class AppFailure extends Error {
  override name = "AppFailure";
  /** A failure whose one-line `message` says what failed; `cause` is what the app threw. */
  constructor(message: string, cause: unknown) {
    super(message, { cause });
  }
}

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

// Scheme prefixes that make `x:y` a module specifier rather than `MODULE:EXPORT`.
const SCHEMES = new Set(["npm", "jsr", "node", "file", "http", "https", "data", "bun"]);
const SCRIPT_EXT = /\.(?:[cm]?[jt]sx?)$/i;
const LISTENING = ["host", "port", "listen", "unixSocket"] as const;

/** Splits an application reference into module and export. Without `:EXPORT` (or when the colon
 * belongs to a scheme such as `npm:` or a Windows drive) the export is `default`.
 *
 * @example
 * ```ts
 * parseAppRef("./app.ts:app.fetch"); // { module: "./app.ts", exportPath: ["app", "fetch"] }
 * parseAppRef("npm:hono");           // { module: "npm:hono", exportPath: ["default"] }
 * ```
 */
export function parseAppRef(ref: string): { module: string; exportPath: string[] } {
  if (ref.trim() === "") {
    throw new CliError("The application is empty: give MODULE[:EXPORT], e.g. ./app.mjs or ./app.ts:handler");
  }
  const at = ref.lastIndexOf(":");
  const before = ref.slice(0, at);
  const after = ref.slice(at + 1);
  const colonIsPartOfModule = at < 0 || SCHEMES.has(before.toLowerCase()) || /^[A-Za-z]$/.test(before) ||
    /[\/\\]/.test(after);
  if (colonIsPartOfModule) return { module: ref, exportPath: ["default"] };
  const { module, exportName } = splitAppSpec(ref);
  return { module, exportPath: exportName.split(".") };
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith("/") || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith("\\\\");
}

/** Joins `path` onto the absolute directory `base` (unless `path` is absolute) and normalises
 * `.` and `..` segments. Forward slashes are used for the joint; Windows paths keep working.
 *
 * @example
 * ```ts
 * resolvePath("/srv/app", "../lib/./x.ts"); // "/srv/lib/x.ts"
 * ```
 */
export function resolvePath(base: string, path: string): string {
  const joined = isAbsolutePath(path) ? path : `${base.replace(/[\\/]+$/, "")}/${path}`;
  const drive = /^[A-Za-z]:/.exec(joined)?.[0] ?? "";
  const rest = joined.slice(drive.length);
  const root = /^[\\/]+/.exec(rest)?.[0].slice(0, rest.startsWith("\\\\") ? 2 : 1) ?? "";
  const parts: string[] = [];
  for (const part of rest.slice(root.length).split(/[\\/]+/)) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0) parts.pop();
      continue;
    }
    parts.push(part);
  }
  return drive + root + parts.join("/");
}

/** The directory part of an absolute path.
 *
 * @example
 * ```ts
 * dirnameOf("/srv/app/app.ini"); // "/srv/app"
 * ```
 */
export function dirnameOf(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut < 0) return ".";
  if (cut === 0) return path.slice(0, 1);
  if (/^[A-Za-z]:$/.test(path.slice(0, cut))) return path.slice(0, cut + 1);
  return path.slice(0, cut);
}

/** Works out what a module reference names: a file (relative to `baseDir`), a URL, or a package. */
async function moduleTarget(module: string, baseDir: string, env: CliEnv): Promise<ModuleTarget> {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(module)?.[1]?.toLowerCase();
  if (scheme !== undefined && scheme.length > 1) {
    return ["file", "http", "https", "data"].includes(scheme)
      ? { kind: "url", url: module }
      : { kind: "package", specifier: module, fromDir: baseDir };
  }
  const path = resolvePath(baseDir, module);
  const looksLikePath = module.startsWith(".") || isAbsolutePath(module) || SCRIPT_EXT.test(module);
  if (looksLikePath) {
    if (!(await env.exists(path))) {
      throw new CliError(`Module ${JSON.stringify(module)} not found: no file at ${JSON.stringify(path)}`);
    }
    return { kind: "file", path };
  }
  // "app" or "lib/app" may be a file without extension as much as a package: a file wins.
  if (await env.exists(path)) return { kind: "file", path };
  return { kind: "package", specifier: module, fromDir: baseDir };
}

/** What an app threw, for the terminal: its stack (which names the file and line), then its causes. */
export function describeThrown(error: unknown): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = error, depth = 0; depth < 5 && !seen.has(e); depth++) {
    seen.add(e);
    const prefix = depth === 0 ? "" : "Caused by: ";
    if (!(e instanceof Error)) {
      lines.push(`${prefix}${depth === 0 ? "The app threw a non-Error value: " : ""}${describeValueShort(e)}`);
      break;
    }
    const head = `${e.name}: ${e.message}`;
    const stack = typeof e.stack === "string" && e.stack !== "" ? e.stack.replace(/\s+$/, "") : head;
    // V8 and JavaScriptCore start the stack with "Name: message"; where it does not, say it first.
    lines.push(prefix + (stack.includes(e.message) ? stack : `${head}\n${stack}`));
    if (e.cause === undefined) break;
    e = e.cause;
  }
  return lines.join("\n") + "\n";
}

function describeValueShort(value: unknown): string {
  try {
    return typeof value === "string" ? JSON.stringify(value) : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "unknown error";
}

function describeValue(value: unknown, asApp = true): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return asApp ? "an object without a fetch method" : "an object";
  if (typeof value === "undefined") return "undefined";
  return `a ${typeof value}`;
}

async function importApp(module: string, target: ModuleTarget, env: CliEnv): Promise<Record<string, unknown>> {
  try {
    return await env.importModule(target);
  } catch (error) {
    const line = firstLine(error);
    const code = (error as { code?: unknown } | null)?.code;
    if (target.kind === "file" && /unknown file extension/i.test(line)) {
      throw new CliError(`Cannot import ${JSON.stringify(module)}: ${line}; this runtime cannot load that file ` +
        "type directly, so build it to JavaScript (.js/.mjs) first");
    }
    const missing = code === "ERR_MODULE_NOT_FOUND" ||
      /cannot find (?:module|package)|module not found|not a dependency|not in import map/i.test(line);
    if (target.kind === "package" && missing) {
      throw new CliError(`Module ${JSON.stringify(module)} not found: ${line}`);
    }
    // The module was found and its own code failed: the command line is fine, the stack tells where.
    throw new AppFailure(`Importing ${JSON.stringify(module)} failed: ${line}`, error);
  }
}

function resolveExport(namespace: Record<string, unknown>, module: string, exportPath: string[]): unknown {
  let value: unknown = namespace;
  let parent: unknown;
  for (let i = 0; i < exportPath.length; i++) {
    const name = exportPath[i]!;
    const holder = value;
    const present = holder !== null && (typeof holder === "object" || typeof holder === "function") &&
      name in (holder as object);
    if (!present) {
      if (i === 0) {
        const names = Object.keys(namespace).sort();
        const list = names.length > 0 ? `it exports ${names.map((n) => JSON.stringify(n)).join(", ")}` : "it exports nothing";
        const what = name === "default" ? "no default export" : `no export ${JSON.stringify(name)}`;
        throw new CliError(`Module ${JSON.stringify(module)} has ${what} (${list}); name one with MODULE:EXPORT`);
      }
      throw new CliError(`Export ${JSON.stringify(exportPath.slice(0, i).join("."))} of ${JSON.stringify(module)} ` +
        `has no property ${JSON.stringify(name)}`);
    }
    parent = i === 0 ? undefined : holder;
    value = (holder as Record<string, unknown>)[name];
  }
  // `app.fetch` is usually a method: keep `this` pointing at `app`.
  if (typeof value === "function" && parent !== undefined) {
    return (value as (...args: unknown[]) => unknown).bind(parent);
  }
  return value;
}

async function loadHandler(ref: string, baseDir: string, call: boolean, env: CliEnv): Promise<FetchHandler> {
  const { module, exportPath } = parseAppRef(ref);
  const target = await moduleTarget(module, baseDir, env);
  const namespace = await importApp(module, target, env);
  const exported = resolveExport(namespace, module, exportPath);
  const name = `Export ${JSON.stringify(exportPath.join("."))} of ${JSON.stringify(module)}`;
  let app: unknown = exported;
  if (call) {
    if (typeof exported !== "function") {
      throw new CliError(`${name} is ${describeValue(exported, false)}, not a function: --call needs a factory that ` +
        "returns the app; drop --call to serve the export itself");
    }
    try {
      app = await (exported as () => unknown)();
    } catch (error) {
      throw new AppFailure(`Calling ${name.charAt(0).toLowerCase()}${name.slice(1)} (--call) failed: ${firstLine(error)}`, error);
    }
    try {
      return toHandler(app as App);
    } catch {
      throw new CliError(`${name}, called with --call, returned ${describeValue(app)}, not a handler: the factory ` +
        "must return a function (request, info) => Response or an object with a fetch method");
    }
  }
  try {
    return toHandler(app as App);
  } catch {
    throw new CliError(`${name} is ${describeValue(app)}, not a handler: export a function (request, info) => ` +
      "Response or an object with a fetch method, or pass --call if it is a factory");
  }
}

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
