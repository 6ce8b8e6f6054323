/**
 * PasteDeploy-style ini files: a small parser (the subset of Python's `configparser` that
 * PasteDeploy uses, without `%(here)s` interpolation) and the mapping of a `[server:main]`
 * section onto the settings table.
 *
 * @module
 */

import { closestSetting, SETTINGS, settingBySnake } from "./adjustments.ts";

// Line numbers of keys per parsed section object, kept out of the returned records so they
// stay plain string maps.
const KEY_LINES = new WeakMap<object, Map<string, number>>();
const SECTION_LINES = new WeakMap<object, Map<string, number>>();

/** Parses ini text into `{ section: { key: value } }`.
 *
 * Supports `[section]` headers, `key = value` and `key: value` (split at the first `=` or `:`),
 * full-line `#` and `;` comments (there are no inline comments, as in PasteDeploy), and
 * continuation lines: an indented line continues the previous value, joined with `"\n"`.
 * Keys keep their case; values are trimmed. Throws `SyntaxError` naming the line for
 * malformed lines, keys outside a section, and duplicate sections or keys.
 *
 * @example
 * ```ts
 * const ini = parseIni("[server:main]\nuse = egg:waitress#main\nport = 6543\n");
 * ini["server:main"]!.port; // "6543"
 * ```
 */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const result: Record<string, Record<string, string>> = {};
  const sectionLines = new Map<string, number>();
  let section: Record<string, string> | undefined;
  let sectionName = "";
  let lastKey: string | undefined;
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const raw = lines[i]!;
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";")) continue;

    if (/^[ \t]/.test(raw)) {
      if (section === undefined || lastKey === undefined) {
        throw new SyntaxError(`line ${n}: indented line ${JSON.stringify(trimmed)} does not continue a value; ` +
          "remove the indentation");
      }
      section[lastKey] = section[lastKey] === "" ? trimmed : `${section[lastKey]}\n${trimmed}`;
      continue;
    }

    if (trimmed.startsWith("[")) {
      const m = /^\[([^\]]+)\]$/.exec(trimmed);
      if (!m || m[1]!.trim() === "") {
        throw new SyntaxError(`line ${n}: malformed section header ${JSON.stringify(trimmed)}; expected "[name]"`);
      }
      sectionName = m[1]!.trim();
      if (sectionLines.has(sectionName)) {
        throw new SyntaxError(`line ${n}: section [${sectionName}] already appeared on line ` +
          `${sectionLines.get(sectionName)}; merge the two sections`);
      }
      sectionLines.set(sectionName, n);
      section = {};
      put(result, sectionName, section);
      KEY_LINES.set(section, new Map());
      lastKey = undefined;
      continue;
    }

    const at = raw.search(/[=:]/);
    if (at < 0) {
      throw new SyntaxError(`line ${n}: expected "key = value", got ${JSON.stringify(trimmed)}`);
    }
    const key = raw.slice(0, at).trim();
    const value = raw.slice(at + 1).trim();
    if (key === "") throw new SyntaxError(`line ${n}: missing key before "${raw[at]}"`);
    if (section === undefined) {
      throw new SyntaxError(`line ${n}: key ${JSON.stringify(key)} appears before any [section] header`);
    }
    const keyLines = KEY_LINES.get(section)!;
    if (keyLines.has(key)) {
      throw new SyntaxError(`line ${n}: key ${JSON.stringify(key)} in [${sectionName}] was already set on line ` +
        `${keyLines.get(key)}`);
    }
    keyLines.set(key, n);
    put(section, key, value);
    lastKey = key;
  }
  SECTION_LINES.set(result, sectionLines);
  return result;
}

// defineProperty, so a key named "__proto__" is stored as data instead of replacing the prototype.
function put<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

const SERVER_SECTION = "server:main";
const LOGGER_SECTION = "logger_waitress";

// Python logging level names → our four levels.
const PY_LEVELS: Record<string, string> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  warning: "warning",
  error: "error",
  critical: "error",
  fatal: "error",
};

/** Reads the `[server:main]` section of a parsed ini file into `serve()` options.
 *
 * snake_case keys are mapped to camelCase via the settings table (values stay strings;
 * {@link resolveSettings} casts them). `use = egg:waitress#main` is accepted and ignored; the
 * application is named by `app = module:export`, and `systemd_sockets = true|false` is the runner's
 * `--systemd-sockets`. `[logger_waitress] level = INFO` becomes
 * `logLevel` (Python's CRITICAL/FATAL map to "error", WARN to "warning", NOTSET is ignored).
 * Throws `TypeError` for a missing `[server:main]` section and for unknown keys (naming the key,
 * its line, and the closest valid key).
 *
 * @example
 * ```ts
 * const { options, app } = settingsFromIni(parseIni("[server:main]\napp = ./app.ts:default\nmax_request_body_size = 1048576\n"));
 * // options: { maxRequestBodySize: "1048576" }; app: "./app.ts:default"
 * ```
 */
export function settingsFromIni(
  sections: Record<string, Record<string, string>>,
): { options: Record<string, string>; app?: string; logLevel?: string; systemdSockets?: boolean } {
  const server = sections[SERVER_SECTION];
  if (server === undefined) {
    const found = Object.keys(sections).map((s) => `[${s}]`).join(", ") || "none";
    throw new TypeError(`The config file has no [${SERVER_SECTION}] section (sections found: ${found}); ` +
      `put the settings under [${SERVER_SECTION}]`);
  }
  const lines = KEY_LINES.get(server);
  const options: Record<string, string> = {};
  const result: { options: Record<string, string>; app?: string; logLevel?: string; systemdSockets?: boolean } = { options };
  for (const [key, value] of Object.entries(server)) {
    if (key === "use") continue;
    if (key === "app") {
      result.app = value;
      continue;
    }
    if (key === "systemd_sockets") {
      // The runner's --systemd-sockets / --no-systemd-sockets (not a serve() setting).
      const text = value.trim().toLowerCase();
      if (!["true", "false", "yes", "no", "on", "off", "1", "0"].includes(text)) {
        const line = lines?.get(key);
        throw new TypeError(`Invalid value ${JSON.stringify(value)} for "systemd_sockets" in [${SERVER_SECTION}]` +
          `${line !== undefined ? ` (line ${line})` : ""}: use true or false`);
      }
      result.systemdSockets = ["true", "yes", "on", "1"].includes(text);
      continue;
    }
    const spec = settingBySnake(key);
    if (spec === undefined) {
      const line = lines?.get(key);
      const where = `in [${SERVER_SECTION}]${line !== undefined ? ` (line ${line})` : ""}`;
      const programmatic = SETTINGS.find((s) => !s.cli && (s.snake === key || s.name === key));
      if (programmatic) {
        throw new TypeError(`Setting ${JSON.stringify(key)} ${where} cannot be set in a config file; ` +
          "pass it to serve() instead");
      }
      const near = closestSetting(key, SETTINGS.filter((s) => s.cli))?.snake;
      throw new TypeError(`Unknown setting ${JSON.stringify(key)} ${where}: ` +
        (near ? `did you mean "${near}"?` : "see the settings table in the README for valid keys"));
    }
    options[spec.name] = value;
  }
  const logger = sections[LOGGER_SECTION];
  const level = logger?.["level"];
  if (level !== undefined) {
    const lower = level.trim().toLowerCase();
    if (lower !== "notset") result.logLevel = PY_LEVELS[lower] ?? level;
  }
  return result;
}
