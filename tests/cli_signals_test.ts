/**
 * `waitress-serve` and the signals and parents it meets (issue 14.3): SIGHUP stops it gracefully and
 * is logged; started by npm (npx, npm exec, npm start), which runs the bin through `sh -c` and passes
 * no signal on, it stops gracefully once the process that started it is gone, so a SIGTERM to npx no
 * longer leaves an orphan serving. Real child processes on every runtime (npx on Node only), plus
 * the runtime-free rules in src/cli/cli_main.ts with a fake environment.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { exchange, runtime, sleep } from "./_helpers.ts";
import { cliEntry, outputMatch, runtimeCommand, servingPort, spawnChild, spawnCli, stopChild, within, type Child } from "./_child.ts";
import { fakeEnv } from "./_cli_env.ts";
import { runCli, startedByNpm } from "../src/cli/cli_main.ts";
import { repoRoot } from "./_root.ts";

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

/** A temp directory holding ok.mjs (a handler that answers its pid) and parent.mjs (see below). */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "waitress-signals-"));
  temps.push(dir);
  await writeFile(join(dir, "ok.mjs"), 'import process from "node:process";\nexport default () => new Response(String(process.pid));\n');
  // A parent that starts the command given as JSON with inherited output, says its pid, and waits
  // (the test SIGKILLs it, so it cannot pass anything on, as npm does not).
  await writeFile(join(dir, "parent.mjs"), [
    'import { spawn } from "node:child_process";',
    'import process from "node:process";',
    "const [command, ...args] = JSON.parse(process.argv[2]);",
    'const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });',
    "console.log(`CHILD ${child.pid}`);",
    "setInterval(() => {}, 1000);",
    "",
  ].join("\n"));
  return dir;
}

/** This process's environment without npm's variables (an enclosing `npm test` sets them), plus `extra`. */
function envWith(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !/^npm_/i.test(key)) env[key] = value;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Resolves once nothing accepts connections on 127.0.0.1:`port` (refused), polling for up to `ms`. */
async function portCloses(port: number, ms = 10000): Promise<void> {
  const refused = () => new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.on("error", () => resolve(true));
  });
  const deadline = Date.now() + ms;
  while (!(await refused())) {
    if (Date.now() > deadline) throw new Error(`port ${port} still accepts connections after ${ms} ms`);
    await sleep(100);
  }
}

/** Kills a detached child's whole process group (the server it started too), then waits for it. */
async function killGroup(c: Child, serverPid?: number): Promise<void> {
  for (const target of [-c.child.pid!, serverPid]) {
    try {
      if (target !== undefined) process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await stopChild(c);
}

const LINUX = process.platform === "linux" ? false : "parents are watched through /proc and getppid(): Linux only here";

describe("waitress-serve and SIGHUP", () => {
  it("SIGHUP shuts the server down gracefully: logged, exit 0, port closed", async () => {
    const dir = await project();
    const c = spawnCli(["--listen=127.0.0.1:0", "ok.mjs"], dir);
    try {
      const port = await servingPort(c);
      process.kill(c.child.pid!, "SIGHUP");
      const { code, signal } = await within(c.exit, 10000, () => `waiting for exit after SIGHUP:\n${c.output()}`);
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, c.output());
      assert.match(c.output(), /^waitress INFO: Received SIGHUP: shutting down$/m);
      await portCloses(port, 2000);
    } finally {
      await stopChild(c);
    }
  });
});

describe("waitress-serve started by npm watches its parent", { skip: LINUX }, () => {
  /** Starts parent.mjs on this runtime, which starts `command`; resolves with the server's port and pid. */
  async function startUnderParent(dir: string, command: string[], env: Record<string, string>) {
    const [exe, argv] = runtimeCommand(join(dir, "parent.mjs"), [JSON.stringify(command)]);
    const c = spawnChild(exe, argv, { cwd: dir, env, detached: true });
    const port = await servingPort(c, 20000, "the CLI under a parent");
    const { response } = await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return { c, port, serverPid: Number(response.text) };
  }
  const cli = (): string[] => {
    const [exe, argv] = runtimeCommand(cliEntry, ["--listen=127.0.0.1:0", "ok.mjs"]);
    return [exe, ...argv];
  };

  it("its parent SIGKILLed, a server started with npm_command=exec shuts down gracefully, logged", async () => {
    const dir = await project();
    const { c, port, serverPid } = await startUnderParent(dir, cli(), envWith({ npm_command: "exec" }));
    try {
      const parentPid = c.child.pid!;
      process.kill(parentPid, "SIGKILL");
      const line = await within(outputMatch(c, /^waitress INFO: The process that started this server \(pid (\d+)[^)]*\) ended: shutting down$/m),
        10000, () => `waiting for the server to notice:\n${c.output()}`);
      assert.ok(line, c.output());
      assert.equal(Number(line[1]), parentPid);
      await portCloses(port);
      // The pipes close once the server, the last process holding them, has exited.
      await within(c.exit, 10000, () => `waiting for the server to exit:\n${c.output()}`);
    } finally {
      await killGroup(c, serverPid);
    }
  });

  it("with `sh -c` in between (npx's shape), npm_lifecycle_event set, a SIGKILLed npm still ends the server", async () => {
    const dir = await project();
    // "; exit $?" keeps the shell from exec'ing the command, so it stays waiting, as npm's does.
    const { c, port, serverPid } = await startUnderParent(dir, ["sh", "-c", '"$@"; exit $?', "sh", ...cli()],
      envWith({ npm_lifecycle_event: "start" }));
    try {
      process.kill(c.child.pid!, "SIGKILL");
      await within(outputMatch(c, /The process that started this server \(pid \d+[^)]*\) ended: shutting down/), 10000,
        () => `waiting for the server to notice:\n${c.output()}`);
      await portCloses(port);
      await within(c.exit, 10000, () => `waiting for the server and the shell to exit:\n${c.output()}`);
    } finally {
      await killGroup(c, serverPid);
    }
  });

  it("not started by npm, the server outlives its parent (as under nohup) until it is signalled", async () => {
    const dir = await project();
    const { c, port, serverPid } = await startUnderParent(dir, cli(), envWith({}));
    try {
      process.kill(c.child.pid!, "SIGKILL");
      await sleep(1500); // three polls of a watch, had there been one
      const { response } = await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, String(serverPid));
      process.kill(serverPid, "SIGTERM");
      await within(c.exit, 10000, () => `waiting for the server to exit after SIGTERM:\n${c.output()}`);
      assert.match(c.output(), /Received SIGTERM: shutting down/);
      assert.doesNotMatch(c.output(), /The process that started this server/);
    } finally {
      await killGroup(c, serverPid);
    }
  });
});

describe("npx waitress-serve and SIGTERM", () => {
  const skip = runtime !== "node" ? "npx is Node's" : LINUX;

  it("SIGTERM to npx itself: the server shuts down gracefully within seconds and its port closes", { skip, timeout: 60000 }, async () => {
    const dir = await project();
    // A project with the repository installed as @waitress/core; its bin, as npm links it, runs the
    // built CLI (a shim: dist/cli.js itself is not executable in the repository).
    await writeFile(join(dir, "package.json"), JSON.stringify({ name: "p", version: "1.0.0", type: "module", dependencies: { "@waitress/core": "*" } }));
    await mkdir(join(dir, "node_modules", "@waitress"), { recursive: true });
    await mkdir(join(dir, "node_modules", ".bin"));
    await symlink(repoRoot(), join(dir, "node_modules", "@waitress", "core"), "dir");
    const bin = join(dir, "node_modules", ".bin", "waitress-serve");
    assert.ok(existsSync(join(repoRoot(), "dist", "cli.js")), "built");
    await writeFile(bin, `#!/usr/bin/env node\nimport ${JSON.stringify(join(repoRoot(), "dist", "cli.js"))};\n`);
    await chmod(bin, 0o755);

    const c = spawnChild("npx", ["--offline", "waitress-serve", "--listen=127.0.0.1:0", "ok.mjs"], {
      cwd: dir, env: envWith({ npm_config_update_notifier: "false", npm_config_loglevel: "error" }), detached: true,
    });
    let serverPid: number | undefined;
    try {
      const port = await servingPort(c, 30000, "npx waitress-serve");
      const { response } = await exchange(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      serverPid = Number(response.text);
      assert.notEqual(serverPid, c.child.pid, "npx runs the server in a process of its own");
      const sent = Date.now();
      process.kill(c.child.pid!, "SIGTERM");
      await within(outputMatch(c, /The process that started this server \(pid \d+[^)]*\) ended: shutting down/), 10000,
        () => `waiting for the server to notice npx's end:\n${c.output()}`);
      await portCloses(port);
      await within(c.exit, 10000, () => `waiting for every process of npx to end:\n${c.output()}`);
      assert.ok(Date.now() - sent < 10000, "bounded: the watch polls twice a second");
    } finally {
      await killGroup(c, serverPid);
    }
  });
});

describe("runCli() signals and the npm parent watch (fake environment)", () => {
  const app = "data:text/javascript,export default () => new Response('ok')";

  it("startedByNpm() is true for npm exec and npm scripts, false otherwise", () => {
    const env = (vars: Record<string, string>) => ({ ...fakeEnv().env, getEnv: (name: string) => vars[name] });
    assert.equal(startedByNpm(env({ npm_command: "exec" })), true);
    assert.equal(startedByNpm(env({ npm_lifecycle_event: "start" })), true);
    assert.equal(startedByNpm(env({})), false);
    assert.equal(startedByNpm(fakeEnv().env), false, "an environment that cannot read variables");
  });

  it("runCli() watches the parent only when npm started it; its end is logged and exits 0; a signal after it is ignored", async () => {
    for (const vars of [{}, { npm_command: "exec" }] as Record<string, string>[]) {
      const fake = fakeEnv();
      let gone: ((parent: string) => void) | undefined;
      fake.env.getEnv = (name) => vars[name];
      fake.env.onParentExit = (handler) => void (gone = handler);
      const server = await runCli(["--listen=127.0.0.1:0", app], fake.env);
      assert.ok(server);
      try {
        assert.equal(gone !== undefined, "npm_command" in vars);
        if (gone === undefined) continue;
        gone("pid 4242, npm exec waitress-serve");
        gone("pid 4242, npm exec waitress-serve"); // a second report changes nothing
        assert.equal(await fake.exited, 0);
        assert.ok(fake.logs.includes("waitress INFO: The process that started this server (pid 4242, npm exec waitress-serve) ended: shutting down"),
          fake.logs.join("\n"));
        fake.signals.get("SIGHUP")!(); // a signal now still means "exit at once"
        assert.deepEqual(fake.exits, [0, 1]);
        assert.equal(fake.err, "Error: SIGHUP received again while shutting down: exiting without waiting\n");
      } finally {
        await server.close();
      }
    }
  });

  it("runCli() gives SIGHUP the meaning of SIGTERM: logged, graceful, exit 0", async () => {
    const fake = fakeEnv();
    const server = await runCli(["--listen=127.0.0.1:0", app], fake.env);
    assert.ok(server);
    try {
      fake.signals.get("SIGHUP")!();
      assert.equal(await fake.exited, 0);
      assert.ok(fake.logs.includes("waitress INFO: Received SIGHUP: shutting down"), fake.logs.join("\n"));
      assert.equal(fake.err, "");
    } finally {
      await server.close();
    }
  });
});
