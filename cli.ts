#!/usr/bin/env node
/**
 * The `waitress-serve` command: serves a Fetch handler exported by a module.
 *
 * ```sh
 * npx waitress-ts --listen=127.0.0.1:8080 ./dist/app.js:default      # Node (built JS)
 * deno run -A <pkg>/cli.ts --port=8080 ./app.ts:app.fetch            # Deno
 * bun <pkg>/cli.ts --config app.ini                                  # Bun
 * ```
 *
 * This file is the runtime entry point: it implements {@linkcode CliEnv} for Node, Deno and
 * Bun and hands over to the runtime-free `runCli` in src/cli/cli_main.ts.
 *
 * @example
 * ```sh
 * waitress-serve --help
 * ```
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { runCli, type CliEnv, type ModuleTarget, type StopSignal } from "./src/cli/cli_main.ts";
import type { WorkerMessage, WorkerProcess, WorkerProcessEvents } from "./src/platform.ts";
import { loadRuntime } from "./adapters/auto.ts";

// Only this runtime's adapter is loaded; its setup() runs before the app's module is imported.
const runtime = await loadRuntime();

/** The slice of the Deno namespace this file uses. */
interface DenoLike {
  args: string[];
  cwd(): string;
  exit(code: number): never;
  addSignalListener(signal: StopSignal, handler: () => void): void;
  unrefTimer(id: number): void;
  readonly ppid: number;
  env: { get(name: string): string | undefined; delete(name: string): void };
  readonly pid: number;
  stdout: { writeSync(data: Uint8Array): number };
  stderr: { writeSync(data: Uint8Array): number };
}

/** The slice of the Bun namespace this file uses. */
interface BunLike {
  resolveSync(specifier: string, from: string): string;
}

const g = globalThis as { Deno?: DenoLike; Bun?: BunLike };
const deno = "Deno" in globalThis ? g.Deno : undefined;
const bun = "Bun" in globalThis ? g.Bun : undefined;

function writeAll(stream: { writeSync(data: Uint8Array): number }, text: string): void {
  let data = new TextEncoder().encode(text);
  while (data.length > 0) data = data.subarray(stream.writeSync(data));
}

async function importPackage(specifier: string, fromDir: string): Promise<Record<string, unknown>> {
  if (bun) {
    // Resolve from the user's directory first, so their node_modules is searched.
    let resolved: string | undefined;
    try {
      resolved = bun.resolveSync(specifier, fromDir);
    } catch {
      // fall through to the import relative to this file
    }
    if (resolved !== undefined) return await import(pathToFileURL(resolved).href);
    return await import(specifier);
  }
  try {
    return await import(specifier);
  } catch (error) {
    if (deno) throw error;
    // Node resolves bare specifiers from this file; when waitress is installed elsewhere (globally),
    // look in the user's directory instead.
    let resolved: string;
    try {
      resolved = createRequire(join(fromDir, "noop.js")).resolve(specifier);
    } catch {
      throw error;
    }
    return await import(pathToFileURL(resolved).href);
  }
}

function importModule(target: ModuleTarget): Promise<Record<string, unknown>> {
  // The server's Response before the app's import: apps and frameworks that keep `Response` at import
  // (srvx, h3 v2 on Bun) then build responses that carry their implicit Content-Type.
  runtime.setup?.({ nativeResponse: false });
  if (target.kind === "file") return import(pathToFileURL(target.path).href);
  if (target.kind === "url") return import(target.url);
  return importPackage(target.specifier, target.fromDir);
}

/** The parent pid of `pid`, from /proc (Linux); undefined where there is no /proc or it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 1).trim().split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** The command of `pid` (Linux), its first words only ("npm exec waitress-serve"), or "". */
function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split(/[\0 ]/).filter((w) => w !== "").slice(0, 3).join(" ");
  } catch {
    return "";
  }
}

/**
 * Calls `handler` once the process that started this one has ended. An orphan is adopted by init (or
 * a subreaper), so its parent pid changes: polled twice a second. When the parent is the `sh -c` npm
 * runs the bin through, npm (the grandparent) is watched too: a SIGKILLed npm leaves the shell waiting.
 */
function watchParent(handler: (parent: string) => void): void {
  const ppid = (): number => (deno ? deno.ppid : process.ppid);
  const parent = ppid();
  if (parent <= 1) return; // started by init (or a container's PID 1): nothing to outlive
  const shell = /^(?:\S*\/)?(?:sh|dash|bash|ash|zsh)$/.test(commandOf(parent).split(" ")[0] ?? "");
  const grandparent = shell ? parentOf(parent) : undefined;
  const name = commandOf(grandparent !== undefined && grandparent > 1 ? grandparent : parent);
  const timer = setInterval(() => {
    const gone = ppid() !== parent ||
      (grandparent !== undefined && grandparent > 1 && parentOf(parent) !== grandparent);
    if (!gone) return;
    clearInterval(timer);
    const pid = grandparent !== undefined && grandparent > 1 ? grandparent : parent;
    handler(`pid ${pid}${name ? `, ${name}` : ""}`);
  }, 500);
  // The watch alone must not keep the process alive (the server does, while it runs).
  if (deno) deno.unrefTimer(timer as unknown as number);
  else (timer as unknown as { unref?(): void }).unref?.();
}

/**
 * The command that started this process, to start a worker with: argv[0] and its runtime flags
 * included. On Deno, from /proc/self/cmdline (Deno does not give its flags), with `--unstable-net`
 * added: SO_REUSEPORT is an unstable Deno API.
 */
function ownCommand(): [string, string[]] {
  if (!deno) return [process.execPath, [...process.execArgv, ...process.argv.slice(1)]];
  let argv: string[];
  try {
    argv = readFileSync("/proc/self/cmdline", "utf8").split("\0");
  } catch (error) {
    throw new Error(`--workers on Deno reads this process's command line from /proc/self/cmdline (Linux only), which failed: ${String(error)}`);
  }
  if (argv.at(-1) === "") argv.pop();
  const args = argv.slice(1);
  if (!args.some((a) => a === "--unstable-net" || a === "--unstable")) args.splice(args[0] === "run" ? 1 : 0, 0, "--unstable-net");
  return [argv[0]!, args];
}

/**
 * Starts a worker of `--workers`: a `node:cluster` worker on Node (the supervisor then holds the
 * listening sockets, on which the workers accept), a child with an IPC channel on Deno and Bun (whose
 * workers bind with SO_REUSEPORT).
 */
async function spawnWorker(extraEnv: Record<string, string>, events: WorkerProcessEvents): Promise<WorkerProcess> {
  if (!deno && !bun) {
    const cluster = (await import("node:cluster")).default;
    // Shared handles: the workers accept on the supervisor's listening socket. With round-robin the
    // supervisor accepts and posts each connection to a worker; one posted to a worker that is exiting
    // (a reload) was never answered nor closed, and its client hung.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ exec: process.argv[1], args: process.argv.slice(2), execArgv: process.execArgv });
    const worker = cluster.fork(extraEnv);
    worker.on("message", (message: WorkerMessage) => events.message(message));
    worker.on("exit", (code: number | null, signal: string | null) => events.exit(code, signal));
    return {
      pid: worker.process.pid!,
      signal: (signal) => void (worker.process.exitCode === null && worker.process.signalCode === null && worker.process.kill(signal)),
    };
  }
  const { spawn } = await import("node:child_process");
  const [command, args] = ownCommand();
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], env: { ...process.env, ...extraEnv } });
  child.on("message", (message) => events.message(message as WorkerMessage));
  child.on("exit", (code, signal) => events.exit(code, signal));
  return {
    pid: child.pid!,
    signal: (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // By pid: Deno's child.kill() reports the signal as the cause of exit even when the child drains and exits 0.
      try {
        process.kill(child.pid!, signal);
      } catch { /* already gone */ }
    },
  };
}

function exitAfterFlush(code: number): void {
  if (deno) deno.exit(code);
  // Let piped stdout/stderr drain before the process ends.
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

const env: CliEnv = {
  importModule,
  cwd: () => (deno ? deno.cwd() : process.cwd()),
  readTextFile: (path) => readFile(path, "utf8"),
  exists: (path) => access(path).then(() => true, () => false),
  stdout: (text) => (deno ? writeAll(deno.stdout, text) : void process.stdout.write(text)),
  stderr: (text) => (deno ? writeAll(deno.stderr, text) : void process.stderr.write(text)),
  exit: exitAfterFlush,
  onSignal: (signal, handler) => {
    if (!deno) {
      process.on(signal, handler);
      return;
    }
    try {
      deno.addSignalListener(signal, handler);
    } catch {
      // Deno on Windows has no SIGTERM or SIGHUP; Ctrl-C (SIGINT) still works.
    }
  },
  getEnv: (name) => {
    try {
      return deno ? deno.env.get(name) : process.env[name];
    } catch {
      return undefined; // Deno without --allow-env
    }
  },
  unsetEnv: (name) => {
    try {
      if (deno) deno.env.delete(name);
      else delete process.env[name];
    } catch {
      // Deno without --allow-env: nothing was read either
    }
  },
  pid: deno ? deno.pid : process.pid,
  onParentExit: watchParent,
  logger: console,
  spawnWorker,
  sendToSupervisor: (message) => process.send?.(message),
  keepAlive: () => {
    const timer = setInterval(() => {}, 1 << 30);
    return () => clearInterval(timer);
  },
  runtime,
};

await runCli(deno ? deno.args : process.argv.slice(2), env);
