/**
 * The `waitress-serve` command line: the argument parser, the `--help` text and the README's
 * settings table, all generated from {@link SETTINGS} in `adjustments.ts`.
 *
 * Pure: no process access.
 *
 * @module
 */

import { closestSetting, editDistance, SETTINGS, type SettingSpec } from "../settings/adjustments.ts";
import type { LogLevel } from "../policy/logger.ts";

const BY_NAME: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.map((s) => [s.name, s]));
const BY_FLAG: ReadonlyMap<string, SettingSpec> = new Map(SETTINGS.filter((s) => s.cli).map((s) => [s.flag, s]));

/** A command-line usage error; the message is one line, suitable for `Error: <message>`.
 *
 * @example
 * ```ts
 * try { parseCliArgs(["--bad-opt"]); } catch (e) { if (e instanceof CliError) console.error(`Error: ${e.message}`); }
 * ```
 */
export class CliError extends Error {
  override name = "CliError";
}

/** The result of {@link parseCliArgs}. `options` is keyed by camelCase setting name, ready for
 * {@link resolveSettings}.
 *
 * @example
 * ```ts
 * const { options, app, extraApps }: CliArgs = parseCliArgs(["--port=80", "app.ts:default"]);
 * ```
 */
export interface CliArgs {
  options: Record<string, string | boolean | string[]>;
  /** The first application given (positional `MODULE:EXPORT` or `--app`). */
  app?: string;
  call: boolean;
  help: boolean;
  /** `--version` was given. */
  version: boolean;
  config?: string;
  /** `--systemd-sockets` (true: serve the sockets of systemd socket activation, which must be there) or
   * `--no-systemd-sockets` (false: ignore them); absent: serve them when systemd passed some. */
  systemdSockets?: boolean;
  /** Further applications given; the runner reports "Specify one application only" when non-empty. */
  extraApps: string[];
}

const flagTakesNoValue = (spec: SettingSpec) => spec.kind === "bool";
const flagIsNegatable = (spec: SettingSpec) => spec.kind === "bool" || spec.kind === "boolOrString";
const RUNNER_FLAGS = ["help", "version", "call", "app", "config", "systemd-sockets"];

function unknownFlag(arg: string): CliError {
  const name = arg.replace(/^-+/, "").split("=")[0]!;
  const runner = RUNNER_FLAGS.find((f) => editDistance(f, name.toLowerCase()) <= 1);
  const near = runner ?? closestSetting(name, SETTINGS.filter((s) => s.cli))?.flag;
  return new CliError(`option ${arg.split("=")[0]} not recognized${near ? `; did you mean --${near}?` : ""}`);
}

/** Parses `waitress-serve` arguments (without the program name). Pure: no process access.
 * Accepts `--name=value` and `--name value`, booleans as `--flag` / `--no-flag`, repeated list
 * flags (`--listen`) accumulating, `--app=MODULE:EXPORT` or a positional `MODULE:EXPORT`,
 * `--call`, `--help`/`-h`, `--version`, `--config FILE`, and `--` to end options. Values are not validated
 * here (that is {@link resolveSettings}'s job); malformed usage throws {@link CliError}.
 *
 * @example
 * ```ts
 * const cli = parseCliArgs(["--port=8041", "--listen", "[::1]:8041", "--no-ipv4", "app.ts:default"]);
 * // cli.options: { port: "8041", listen: ["[::1]:8041"], ipv4: false }; cli.app: "app.ts:default"
 * ```
 */
export function parseCliArgs(argv: string[]): CliArgs {
  const options: Record<string, string | boolean | string[]> = {};
  const apps: string[] = [];
  let call = false;
  let help = false;
  let version = false;
  let config: string | undefined;
  let systemdSockets: boolean | undefined;
  let onlyPositional = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositional || arg === "-" || !arg.startsWith("-")) {
      apps.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositional = true;
      continue;
    }
    if (arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) throw unknownFlag(arg);
    const eq = arg.indexOf("=");
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new CliError(`option --${name} requires a value`);
      i++;
      return next;
    };
    const noValue = () => {
      if (inline !== undefined) throw new CliError(`option --${name} does not take a value`);
    };

    if (name === "help") {
      noValue();
      help = true;
      continue;
    }
    if (name === "call") {
      noValue();
      call = true;
      continue;
    }
    if (name === "version") {
      noValue();
      version = true;
      continue;
    }
    if (name === "app") {
      apps.push(takeValue());
      continue;
    }
    if (name === "config") {
      config = takeValue();
      continue;
    }
    if (name === "systemd-sockets" || name === "no-systemd-sockets") {
      if (inline !== undefined) throw new CliError(`option --${name} does not take a value; use --systemd-sockets or --no-systemd-sockets`);
      systemdSockets = name === "systemd-sockets";
      continue;
    }

    let spec = BY_FLAG.get(name);
    if (spec === undefined && name.startsWith("no-")) {
      const positive = BY_FLAG.get(name.slice(3));
      if (positive !== undefined) {
        if (!flagIsNegatable(positive)) {
          throw new CliError(`option --${name} not recognized: --${positive.flag} is not a boolean flag`);
        }
        if (inline !== undefined) throw new CliError(`option --${name} does not take a value`);
        options[positive.name] = false;
        continue;
      }
    }
    if (spec === undefined) throw unknownFlag(eq >= 0 ? arg.slice(0, eq) : arg);

    if (flagTakesNoValue(spec)) {
      if (inline !== undefined) {
        throw new CliError(`option --${name} does not take a value; use --${name} or --no-${name}`);
      }
      options[spec.name] = true;
    } else if (spec.kind === "boolOrString") {
      // Only the inline form takes a value, so `--access-log app.ts:x` keeps the positional app.
      options[spec.name] = inline ?? true;
    } else if (spec.kind === "list") {
      const prev = options[spec.name];
      options[spec.name] = [...(Array.isArray(prev) ? prev : []), takeValue()];
    } else {
      options[spec.name] = takeValue();
    }
  }
  const result: CliArgs = { options, call, help, version, extraApps: apps.slice(1) };
  if (apps.length > 0) result.app = apps[0]!;
  if (config !== undefined) result.config = config;
  if (systemdSockets !== undefined) result.systemdSockets = systemdSockets;
  return result;
}

/** Splits an application reference `MODULE:EXPORT` at its last colon (so Windows drive letters
 * and `file:` URLs survive). Throws {@link CliError} "Malformed application ..." when either side
 * is empty or there is no colon.
 *
 * @example
 * ```ts
 * splitAppSpec("./app.ts:handler"); // { module: "./app.ts", exportName: "handler" }
 * ```
 */
export function splitAppSpec(spec: string): { module: string; exportName: string } {
  const at = spec.lastIndexOf(":");
  const module = at > 0 ? spec.slice(0, at) : "";
  const exportName = at > 0 ? spec.slice(at + 1) : "";
  if (module === "" || !/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$/.test(exportName) || /^[A-Za-z]$/.test(module)) {
    throw new CliError(`Malformed application ${JSON.stringify(spec)}: expected MODULE[:EXPORT] with EXPORT a name or a dotted path, e.g. ./app.ts or ./app.ts:app.fetch`);
  }
  return { module, exportName };
}

function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(indent + line);
  return lines.join("\n");
}

function flagUsage(spec: SettingSpec): string {
  if (spec.kind === "bool") return `--[no-]${spec.flag}`;
  if (spec.kind === "boolOrString") return `--[no-]${spec.flag}[=${spec.metavar}]`;
  return `--${spec.flag}=${spec.metavar}`;
}

/** The log level of `waitress-serve` when neither the command line nor a config file sets one:
 * `info`, so the `Serving on` lines show, as `serve()` does (the settings table's `warning` is the
 * deprecated `createServer()`'s).
 *
 * @example
 * ```ts
 * CLI_LOG_LEVEL; // "info"
 * ```
 */
export const CLI_LOG_LEVEL: LogLevel = "info";

// Settings named in help text as the command line spells them (`unixSocket` -> `--unix-socket`).
const CLI_SPECS = SETTINGS.filter((s) => s.cli);
const CAMEL_NAMES = new RegExp(`\\b(${CLI_SPECS.filter((s) => /[A-Z]/.test(s.name)).map((s) => s.name)
  .sort((a, b) => b.length - a.length).join("|")})\\b`, "g");

/** A setting's help as `--help` shows it: other settings named by their --flag; in "Not combinable
 * with ..." lists, settings that have no flag (`sockets`) left out. */
function helpForCli(text: string): string {
  const flag = (name: string) => `--${BY_NAME.get(name)!.flag}`;
  return text
    .replace(/Not combinable with ([^.]*)\./g, (_, list: string) => {
      const names = list.split(/, | or /).filter((n) => BY_NAME.get(n)!.cli).map(flag);
      return `Not combinable with ${names.slice(0, -1).join(", ")}${names.length > 1 ? " or " : ""}${names.at(-1)}.`;
    })
    .replace(CAMEL_NAMES, (name) => flag(name));
}

/** The `--help` text: usage, runner options, every CLI setting with its default and help (other
 * settings named by their --flag), exit codes and signals; generated from {@link SETTINGS}.
 *
 * @example
 * ```ts
 * console.log(cliHelp());
 * ```
 */
export function cliHelp(program = "waitress-serve"): string {
  const option = (usage: string, text: string) => [`  ${usage}`, wrap(text, 78, "        ")];
  const out: string[] = [
    "Usage:",
    "",
    `    ${program} [OPTIONS] MODULE[:EXPORT]`,
    `    ${program} --config FILE [OPTIONS] [MODULE[:EXPORT]]`,
    "",
    "Serves the Fetch handler exported as EXPORT (default: the default export) from MODULE (a file",
    "path or package name). Settings may also come from --config FILE (an ini file with a",
    "[server:main] section using the snake_case names); command-line options override the file.",
    "",
    "Runner options:",
    "",
    ...option("--help, -h", "Show this information."),
    ...option("--version", "Print the version and exit."),
    ...option("--app=MODULE[:EXPORT]", "The application; the same as the positional MODULE[:EXPORT]."),
    ...option("--call", "Call the export (a factory) to get the handler."),
    ...option("--config=FILE", "Read settings from the [server:main] section of an ini file."),
    ...option("--systemd-sockets, --no-systemd-sockets", "Serve the listening sockets systemd passes (socket " +
      "activation: LISTEN_FDS and LISTEN_PID naming this process), instead of --listen, --host, --port or " +
      "--unix-socket. Default: serve them when they are there; --systemd-sockets makes their absence an " +
      "error, --no-systemd-sockets ignores them. Node and Bun (not Deno). Config file: systemd_sockets = true or false."),
  ];
  // Grouped by heading, each group once, in the order the headings first appear.
  const groups = [...new Set(CLI_SPECS.map((s) => s.group))];
  for (const group of groups) {
    out.push("", `${group}:`, "");
    for (const spec of CLI_SPECS.filter((s) => s.group === group)) {
      const dflt = spec.name === "logLevel" ? CLI_LOG_LEVEL
        : spec.default === true ? "on" : spec.default === false ? "off" : spec.defaultText;
      out.push(...option(flagUsage(spec), helpForCli(`${spec.help} Default: ${dflt}.`)));
    }
  }
  out.push(
    "",
    "Signals and exit codes:",
    "",
    wrap("SIGINT, SIGTERM and SIGHUP stop the server gracefully (in-flight requests get up to " +
      "--shutdown-timeout seconds) and exit 0; a second signal exits at once with 1. With --tls-cert, SIGHUP " +
      "reloads the certificate and key instead (new connections get them, open ones go on). Started by npm " +
      "(npx, npm exec, npm start), the server also stops gracefully when npm ends, because npm does " +
      "not pass signals on. Exit 1: a usage error (printed with the usage), an app that fails to " +
      "import or whose factory fails (printed with its stack), or a listener that cannot be bound.", 78, "  "),
  );
  return out.join("\n") + "\n";
}

/** A Markdown table of every setting (name, CLI flag, ini key, default, meaning), generated from
 * {@link SETTINGS} for the README.
 *
 * @example
 * ```ts
 * const table = settingsMarkdown(); // "| Setting | CLI flag | ini key | Default | Meaning |\n|---|..."
 * ```
 */
export function settingsMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const lines = [
    "| Setting | CLI flag | ini key | Default | Meaning |",
    "|---|---|---|---|---|",
  ];
  for (const spec of SETTINGS) {
    const flag = !spec.cli ? "—" : spec.kind === "bool" ? `\`--${spec.flag}\` / \`--no-${spec.flag}\``
      : spec.kind === "boolOrString" ? `\`--${spec.flag}[=${spec.metavar}]\` / \`--no-${spec.flag}\``
      : `\`--${spec.flag}=${spec.metavar}\``;
    const key = spec.cli ? `\`${spec.snake}\`` : "—";
    const note = spec.origin === "extension" ? " *(not in Waitress)*" : "";
    lines.push(`| \`${spec.name}\` | ${flag} | ${key} | \`${cell(spec.defaultText)}\` | ${cell(spec.help)}${note} |`);
  }
  return lines.join("\n") + "\n";
}
