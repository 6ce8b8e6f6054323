/**
 * systemd socket activation, as `sd_listen_fds(3)` reads it: when `LISTEN_PID` is this process's id,
 * descriptors 3 to 3 + `LISTEN_FDS` - 1 are listening sockets systemd opened for it (named by the
 * optional, colon-separated `LISTEN_FDNAMES`). Pure: the environment and the process id come in as
 * arguments (`waitress-serve` reads them in cli.ts).
 *
 * @module
 */

import { CliError } from "./cli_args.ts";
import type { CliEnv } from "./cli_main.ts";
import type { Settings } from "../settings/adjustments.ts";

/** The settings that say where to listen: each conflicts with socket activation. */
const LISTENING = ["host", "port", "listen", "unixSocket"] as const;

/**
 * The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
 *
 * @example
 * ```ts
 * const second = SD_LISTEN_FDS_START + 1; // 4
 * ```
 */
export const SD_LISTEN_FDS_START = 3;

/**
 * The variables of socket activation, which `waitress-serve` unsets once read, as `sd_listen_fds(1)`
 * does, so processes the app starts do not take the sockets for theirs.
 *
 * @example
 * ```ts ignore
 * for (const name of ACTIVATION_VARIABLES) env.unsetEnv?.(name);
 * ```
 */
export const ACTIVATION_VARIABLES: readonly string[] = ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"];

/**
 * What the environment says about socket activation:
 * - `none`: no `LISTEN_FDS` or `LISTEN_PID`;
 * - `ignored`: they are set, but not for this process (`LISTEN_PID` names another one, or is
 *   missing), or pass no socket; `why` says which, for the log;
 * - `activated`: the descriptors to serve, and their names (`[]` when `LISTEN_FDNAMES` is absent or
 *   does not name each one).
 *
 * @example
 * ```ts
 * const a: Activation = { kind: "activated", fds: [3], names: ["web"] };
 * ```
 */
export type Activation =
  | { kind: "none" }
  | { kind: "ignored"; why: string }
  | { kind: "activated"; fds: number[]; names: string[] };

/** At most this many descriptors: a larger LISTEN_FDS is a mistake, not a deployment. */
const MAX_FDS = 4096;

/**
 * Reads socket activation from the environment (`get`) for the process `pid` (undefined where the
 * runtime cannot say). Throws a {@link CliError} for values systemd never sets (`LISTEN_FDS=abc`).
 *
 * @example
 * ```ts
 * const env: Record<string, string> = { LISTEN_PID: "4242", LISTEN_FDS: "1", LISTEN_FDNAMES: "web" };
 * readActivation((name) => env[name], 4242); // { kind: "activated", fds: [3], names: ["web"] }
 * readActivation((name) => env[name], 4243).kind; // "ignored": LISTEN_PID names another process
 * ```
 */
export function readActivation(get: (name: string) => string | undefined, pid: number | undefined): Activation {
  const fdsText = get("LISTEN_FDS");
  const pidText = get("LISTEN_PID");
  if (fdsText === undefined && pidText === undefined) return { kind: "none" };
  if (pidText === undefined) {
    return { kind: "ignored", why: `LISTEN_FDS=${fdsText} is set without LISTEN_PID, so the sockets are not known to be for this process` };
  }
  if (!/^[1-9][0-9]*$/.test(pidText)) {
    throw new CliError(`LISTEN_PID=${JSON.stringify(pidText)} is not a process id: socket activation needs the id of the ` +
      "process the sockets are for (systemd sets it); unset LISTEN_PID and LISTEN_FDS, or pass --no-systemd-sockets");
  }
  if (pid === undefined) return { kind: "ignored", why: `LISTEN_PID=${pidText} is set, but this runtime does not tell its own process id` };
  if (Number(pidText) !== pid) {
    return { kind: "ignored", why: `LISTEN_PID=${pidText} names another process (this one is ${pid})` };
  }
  if (fdsText === undefined) return { kind: "ignored", why: `LISTEN_PID=${pidText} names this process but LISTEN_FDS is not set` };
  if (!/^[0-9]+$/.test(fdsText) || Number(fdsText) > MAX_FDS) {
    throw new CliError(`LISTEN_FDS=${JSON.stringify(fdsText)} is not a number of descriptors (0 to ${MAX_FDS}): socket ` +
      "activation passes that many sockets from descriptor 3 on; unset LISTEN_PID and LISTEN_FDS, or pass --no-systemd-sockets");
  }
  const count = Number(fdsText);
  if (count === 0) return { kind: "ignored", why: "LISTEN_FDS=0: systemd passed no socket" };
  const fds = Array.from({ length: count }, (_, i) => SD_LISTEN_FDS_START + i);
  const names = get("LISTEN_FDNAMES")?.split(":") ?? [];
  return { kind: "activated", fds, names: names.length === count ? names : [] };
}

/**
 * The log line that says which sockets socket activation passed.
 *
 * @example
 * ```ts
 * describeActivation([3, 4], ["web", "admin"]); // "Socket activation: serving descriptors 3 (web), 4 (admin) from systemd"
 * ```
 */
export function describeActivation(fds: readonly number[], names: readonly string[]): string {
  const list = fds.map((fd, i) => (names[i] ? `${fd} (${names[i]})` : String(fd))).join(", ");
  return `Socket activation: serving ${fds.length === 1 ? "descriptor" : "descriptors"} ${list} from systemd`;
}

/**
 * systemd socket activation (`--systemd-sockets`, `systemd_sockets` in the file; absent: when the
 * variables name this process): puts the descriptors into `options.sockets` and unsets the variables
 * as `sd_listen_fds(1)` does. A listening setting given as well, a runtime that cannot listen on a
 * descriptor, or `--systemd-sockets` without sockets for this process, is a {@link CliError}.
 * Returns the lines to log.
 *
 * @example
 * ```ts ignore
 * const notes = await socketActivation(undefined, undefined, options, (s) => `--${s}`, env);
 * ```
 */
export async function socketActivation(
  flag: boolean | undefined,
  config: { systemdSockets?: boolean; file: string } | undefined,
  options: Record<string, unknown>,
  name: (setting: keyof Settings) => string,
  env: Pick<CliEnv, "getEnv" | "unsetEnv" | "pid" | "runtime">,
): Promise<{ level: "info" | "warning"; text: string }[]> {
  const mode = flag ?? config?.systemdSockets;
  if (mode === false) return [];
  const activation = readActivation((variable) => env.getEnv?.(variable), env.pid);
  if (activation.kind !== "none") for (const variable of ACTIVATION_VARIABLES) env.unsetEnv?.(variable);
  const asked = flag !== undefined ? "--systemd-sockets" : `"systemd_sockets" in ${JSON.stringify(config?.file)}`;
  if (activation.kind === "activated") {
    const { fds, names } = activation;
    const what = `Socket activation (LISTEN_FDS=${fds.length} for this process)`;
    const conflicting = LISTENING.find((setting) => options[setting] !== undefined);
    if (conflicting !== undefined) {
      throw new CliError(`${what} provides the listening sockets, so ${name(conflicting)} cannot be used: remove it ` +
        "(the .socket unit's ListenStream= says where to listen), or pass --no-systemd-sockets to ignore the inherited sockets");
    }
    const runtime = await env.runtime;
    if (runtime.listenFd === undefined) {
      const title = runtime.name.charAt(0).toUpperCase() + runtime.name.slice(1);
      throw new CliError(`${what} is not available on ${title}: ${runtime.listenFdUnavailable ?? "it cannot listen on an inherited descriptor"}; ` +
        "run waitress-serve on Node or Bun for socket activation, or pass --no-systemd-sockets and listen with --listen");
    }
    options.sockets = fds;
    return [{ level: "info", text: describeActivation(fds, names) }];
  }
  if (mode === true) {
    throw new CliError(activation.kind === "none"
      ? `${asked}: systemd passed no sockets (LISTEN_FDS and LISTEN_PID are not set): start the server through its ` +
        `.socket unit (systemctl start NAME.socket), or drop ${asked}`
      : `${asked}: systemd's sockets are not for this process: ${activation.why}; ExecStart= must start waitress-serve ` +
        "itself (node .../dist/cli.js ...), or a wrapper that execs it, not npx or a shell that stays");
  }
  if (activation.kind === "ignored") {
    return [{ level: "warning", text: `Socket activation ignored: ${activation.why}; listening as configured instead` }];
  }
  return [];
}
