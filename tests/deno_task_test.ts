/**
 * `deno task start` and `deno task test` work (issue 14, item 12), with the Deno that `npm ci` puts in
 * node_modules/.bin and with a `deno` found on PATH. They failed with "Cannot find module
 * '@deno/linux-x64-glibc/package.json'": package.json lists the npm package `deno`, so Deno's task
 * runner ran that package's bin.cjs for the word `deno`; the tasks now go through
 * tools/deno_exec.mjs (see there).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import process from "node:process";
import { type Child, servingPort, spawnChild, within } from "./_child.ts";
import { repoRoot } from "./_root.ts";
import { textOf, WsClient } from "./_ws_client.ts";

const root = repoRoot();
const npmDeno = join(root, "node_modules", ".bin", "deno");
// The tasks' PATH line is POSIX (":"), and the npm-installed binary is not node_modules/.bin/deno there.
const skip = process.platform === "win32" ? "POSIX only" : !existsSync(npmDeno) ? "run `npm ci` first" : false;

/** This environment without any `deno` on PATH: only what the task itself finds. */
function envWithoutDeno(extraPath: string[] = []): Record<string, string | undefined> {
  const path = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "" && !existsSync(join(dir, "deno")));
  return { ...process.env, NO_COLOR: "1", PATH: [...extraPath, ...path].join(delimiter) };
}

/** Ends the task and everything it started (a process group of its own), whatever happened. */
function killGroup(c: Child): void {
  try {
    process.kill(-c.child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(true));
  });
}

describe("deno tasks", { skip }, () => {
  it("`deno task test FILE` runs that file's tests with the npm-installed Deno and no deno on PATH", async () => {
    const c = spawnChild(npmDeno, ["task", "test", "tests/fixtures/deno_task_probe.js"], {
      cwd: join(root, "tests"), // tasks run from deno.json's folder wherever they are started
      env: envWithoutDeno(),
      detached: true,
    });
    try {
      const { code } = await within(c.exit, 60000, () => `waiting for deno task test:\n${c.output()}`);
      assert.equal(code, 0, c.output());
      assert.match(c.output(), /deno task test runs the files it is given \.\.\. ok/);
      assert.match(c.output(), /ok \| 1 passed \| 0 failed/);
      assert.doesNotMatch(c.output(), /Cannot find module/);
    } finally {
      killGroup(c);
    }
  });

  it("`deno task start` serves the demo with a `deno` from PATH, and SIGINT ends it", async () => {
    // A standalone install: a `deno` in a folder on PATH, started by its name.
    const bin = mkdtempSync(join(tmpdir(), "waitress-deno-path-"));
    symlinkSync(realpathSync(npmDeno), join(bin, "deno"));
    const c = spawnChild("deno", ["task", "start"], {
      cwd: root,
      env: { ...envWithoutDeno([bin]), HOST: "127.0.0.1", PORT: "0" },
      detached: true,
    });
    try {
      const port = await servingPort(c, 60000, "deno task start");
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(response.status, 200);
      assert.equal((await response.json() as { message: string }).message, "Hello from Waitress for TypeScript");
      const ws = await WsClient.open(port, "/ws"); // the demo's WebSocket echo
      await ws.sendText("hi");
      assert.equal(textOf(await ws.frame()), "echo: hi");
      ws.destroy();
      process.kill(c.child.pid!, "SIGINT"); // to `deno task` alone: it and tools/deno_exec.mjs pass it on
      await within(c.exit, 10000, () => `waiting for deno task start to end after SIGINT:\n${c.output()}`);
      assert.equal(await refused(port), true, "the demo server outlived its task");
    } finally {
      killGroup(c);
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
