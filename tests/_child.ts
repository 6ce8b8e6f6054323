/**
 * Child processes for the tests: the command line that runs a script on the runtime running the
 * tests, a child with its output captured, a timeout for any promise, and the "Serving on" line of
 * `waitress-serve` (cli.ts).
 *
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "./_helpers.ts";

/** How a child process ended: its exit code, or the signal that ended it. */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** A running child process whose stdout and stderr are captured together. */
export interface Child {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr in the order they arrived. */
  output(): string;
  /** Resolves once it has exited and its output streams have closed. */
  exit: Promise<ChildExit>;
}

/** Where and how to start a child. */
export interface SpawnOptions {
  cwd: string;
  /** The whole environment; by default this process's, with NO_COLOR=1. */
  env?: Record<string, string | undefined>;
  /** A process group of its own (so `process.kill(-pid)` ends all of it). */
  detached?: boolean;
}

/**
 * Starts `command` with stdin closed and its output captured.
 *
 * @example
 * ```ts
 * const c = spawnChild("npx", ["--offline", "waitress-serve", "app.mjs"], { cwd: project });
 * const { code } = await within(c.exit, 10000, () => `waiting for npx:\n${c.output()}`);
 * ```
 */
export function spawnChild(command: string, args: readonly string[], options: SpawnOptions): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  let text = "";
  // Registered before any caller's listener, so a caller sees the chunk in output() already.
  child.stdout!.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
  child.stderr!.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
  const exit = new Promise<ChildExit>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  return { child, output: () => text, exit };
}

/**
 * The command line that runs a script on this runtime: `node FILE` on Node, `deno run -A --quiet
 * FILE` on Deno, `bun FILE` on Bun.
 *
 * @example
 * ```ts
 * const [command, argv] = runtimeCommand("/srv/app.ts", ["--port=0"]);
 * const c = spawnChild(command, argv, { cwd: "/srv" });
 * ```
 */
export function runtimeCommand(file: string, args: readonly string[] = []): [string, string[]] {
  const deno = (globalThis as { Deno?: { execPath(): string } }).Deno;
  return runtime === "deno"
    ? [deno!.execPath(), ["run", "-A", "--quiet", file, ...args]]
    : [process.execPath, [file, ...args]];
}

/** cli.ts as this runtime runs it: the built dist/cli.js on Node, the source on Deno and Bun. */
export const cliEntry: string = fileURLToPath(new URL(`../cli${runtime === "node" ? ".js" : ".ts"}`, import.meta.url));

/**
 * Starts `waitress-serve` (cli.ts) with `args` on this runtime.
 *
 * @example
 * ```ts
 * const c = spawnCli(["--listen=127.0.0.1:0", "cli_app.ts:handler"], fixtures);
 * const port = await servingPort(c);
 * ```
 */
export function spawnCli(args: readonly string[], cwd: string): Child {
  const [command, argv] = runtimeCommand(cliEntry, args);
  return spawnChild(command, argv, { cwd });
}

/**
 * `promise`, or a rejection "timed out after MS ms: WHAT" once `ms` have passed.
 *
 * @example
 * ```ts
 * const { code } = await within(c.exit, 10000, () => `waiting for exit after SIGTERM:\n${c.output()}`);
 * ```
 */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what()}`)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The first match of `pattern` (without the g flag) in the child's output, or undefined when the
 * child ends without printing it.
 *
 * @example
 * ```ts
 * const m = await within(outputMatch(c, /LISTENING (\d+)/), 20000, () => c.output());
 * ```
 */
export function outputMatch(c: Child, pattern: RegExp): Promise<RegExpExecArray | undefined> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      const m = pattern.exec(c.output());
      if (m) resolve(m);
      return m !== null;
    };
    c.child.stdout!.on("data", check);
    c.child.stderr!.on("data", check);
    void c.exit.then(() => check() || resolve(undefined));
    check();
  });
}

/**
 * Waits up to `ms` for the child's "Serving on http://127.0.0.1:PORT" (or https://) line and returns the port;
 * rejects, with its output, when `name` exits first.
 *
 * @example
 * ```ts
 * const port = await servingPort(spawnCli(["--listen=127.0.0.1:0", "app.ts"], dir), 20000);
 * ```
 */
export async function servingPort(c: Child, ms = 15000, name = "the CLI"): Promise<number> {
  const found = outputMatch(c, /Serving on https?:\/\/127\.0\.0\.1:(\d+)/).then(async (m) => {
    if (m) return Number(m[1]);
    const { code } = await c.exit;
    throw new Error(`${name} exited with ${code} before serving:\n${c.output()}`);
  });
  return await within(found, ms, () => `waiting for "Serving on" from ${name}; output so far:\n${c.output()}`);
}

/**
 * Sends a signal to the child by its pid. (Deno's child.kill() reports the signal as the cause of
 * exit even when the child exits normally, so the exit code would be lost.)
 *
 * @example
 * ```ts
 * signalChild(c, "SIGTERM");
 * assert.equal((await c.exit).code, 0);
 * ```
 */
export function signalChild(c: Child, signal: "SIGTERM" | "SIGINT"): void {
  process.kill(c.child.pid!, signal);
}

/**
 * Kills the child with SIGKILL unless it has ended, and waits (up to 5 s) for it to end. For a
 * `finally` block: it never rejects.
 *
 * @example
 * ```ts
 * try { await servingPort(c); } finally { await stopChild(c); }
 * ```
 */
export async function stopChild(c: Child): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill("SIGKILL");
  await within(c.exit, 5000, () => "waiting for the killed child to end").catch(() => {});
}
