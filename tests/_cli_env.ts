/**
 * A fake {@link CliEnv} for src/cli/cli_main.ts tests: records output, exits, signals and imports;
 * `files` are virtual files seen before the real ones. Shared by tests/cli_test.ts and
 * tests/cli_edges_test.ts.
 */
import assert from "node:assert/strict";
import { access, readFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CLI_USAGE, runCli, type CliEnv, type ModuleTarget } from "../src/cli/cli_main.ts";
import { loadRuntime } from "../adapters/auto.ts";

/** tests/fixtures (of dist/tests on Node): the default working directory of a fake environment. */
export const fixtures: string = fileURLToPath(new URL("./fixtures/", import.meta.url)).replace(/[\\/]$/, "");

/** What a fake environment recorded. */
export interface Fake {
  env: CliEnv;
  out: string;
  err: string;
  logs: string[];
  exits: number[];
  /** Resolves with the first exit code. */
  exited: Promise<number>;
  signals: Map<string, () => void>;
  imports: ModuleTarget[];
}

/** A CliEnv that records output and exits; `files` are virtual files seen before the real ones. */
export function fakeEnv(options: { cwd?: string; files?: Record<string, string>; importModule?: CliEnv["importModule"] } = {}): Fake {
  let resolveExit!: (code: number) => void;
  const fake: Fake = {
    out: "",
    err: "",
    logs: [],
    exits: [],
    exited: new Promise((resolve) => (resolveExit = resolve)),
    signals: new Map(),
    imports: [],
    env: undefined as unknown as CliEnv,
  };
  const files = options.files ?? {};
  const log = (m: unknown) => void fake.logs.push(String(m));
  fake.env = {
    importModule: (target) => {
      fake.imports.push(target);
      if (options.importModule) return options.importModule(target);
      if (target.kind === "file") return import(pathToFileURL(target.path).href);
      return import(target.kind === "url" ? target.url : target.specifier);
    },
    cwd: () => options.cwd ?? fixtures,
    readTextFile: async (path) => files[path] ?? (await readFile(path, "utf8")),
    exists: async (path) => path in files || (await access(path).then(() => true, () => false)),
    stdout: (text) => void (fake.out += text),
    stderr: (text) => void (fake.err += text),
    exit: (code) => {
      fake.exits.push(code);
      resolveExit(code);
    },
    onSignal: (signal, handler) => void fake.signals.set(signal, handler),
    logger: { debug: log, info: log, warn: log, error: log },
    runtime: loadRuntime(),
  };
  return fake;
}

/** Runs the CLI expecting a usage error; returns the error line. */
export async function usageError(argv: string[], options: Parameters<typeof fakeEnv>[0] = {}): Promise<string> {
  const fake = fakeEnv(options);
  const server = await runCli(argv, fake.env);
  assert.equal(server, undefined);
  assert.deepEqual(fake.exits, [1]);
  assert.equal(fake.out, "");
  assert.ok(fake.err.endsWith(`\n${CLI_USAGE}`), `usage follows the error: ${JSON.stringify(fake.err)}`);
  const line = fake.err.slice(0, fake.err.length - CLI_USAGE.length - 1);
  assert.ok(!line.includes("\n"), `one-line error: ${JSON.stringify(line)}`);
  assert.match(line, /^Error: /);
  return line.slice("Error: ".length);
}

/** Runs the CLI expecting an app failure (not a usage error): exit 1, no usage lines. Returns the
 * error line (without "Error: ") and what follows it (the thrown value, with its stack). */
export async function appFailure(argv: string[], options: Parameters<typeof fakeEnv>[0] = {}): Promise<{ line: string; detail: string }> {
  const fake = fakeEnv(options);
  const server = await runCli(argv, fake.env);
  assert.equal(server, undefined);
  assert.deepEqual(fake.exits, [1]);
  assert.equal(fake.out, "");
  assert.ok(!fake.err.includes(CLI_USAGE), `no usage after an app failure: ${JSON.stringify(fake.err)}`);
  assert.match(fake.err, /^Error: /);
  const cut = fake.err.indexOf("\n");
  return { line: fake.err.slice("Error: ".length, cut), detail: fake.err.slice(cut + 1) };
}
