/**
 * waitress-serve `--workers=N` (issue 17): N server processes share the listening socket under a
 * supervisor (node:cluster on Node, SO_REUSEPORT on Deno and Bun). Real processes and sockets on
 * 127.0.0.1 on every runtime: both workers answer; a SIGKILLed worker is logged and replaced while
 * requests go on; SIGTERM drains and exits 0; SIGHUP replaces every worker while a client loop over
 * fresh connections sees no failure. Plus serve()'s refusal, `server.stats().worker` and `%P`.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { captureLog, runtime, sleep } from "./_helpers.ts";
import { type Child, outputMatch, servingPort, signalChild, spawnCli, stopChild, within } from "./_child.ts";
import { serve } from "../mod.ts";
import { compileAccessFormat } from "../src/policy/access_format.ts";
import { startServer } from "../src/serve/start_server.ts";
import { loadRuntime } from "../adapters/auto.ts";
import { fakeEnv, usageError } from "./_cli_env.ts";
import { prepareCli, runCli } from "../src/cli/cli_main.ts";
import type { WorkerProcessEvents } from "../src/platform.ts";

const temps: string[] = [];
after(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

/** A temp directory with pid.mjs: answers its process id; /slow answers after 700 ms. */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "waitress-workers-"));
  temps.push(dir);
  await writeFile(join(dir, "pid.mjs"), [
    'import process from "node:process";',
    "export default async (request) => {",
    '  if (new URL(request.url).pathname === "/slow") await new Promise((resolve) => setTimeout(resolve, 700));',
    "  return new Response(String(process.pid));",
    "};",
    "",
  ].join("\n"));
  return dir;
}

/** GET `path` over a fresh connection (Connection: close); the body (a pid), or rejects. */
function get(port: number, path = "/"): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response in 5 s; got ${JSON.stringify(text)}`));
    }, 5000);
    socket.on("connect", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`));
    socket.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const body = text.slice(text.indexOf("\r\n\r\n") + 4);
      if (!text.startsWith("HTTP/1.1 200 ") || !/^\d+$/.test(body)) reject(new Error(`unexpected response ${JSON.stringify(text)}`));
      else resolve(Number(body));
    });
  });
}

/** The pids of the "N workers ready (pids a, b)" line. */
async function readyPids(c: Child): Promise<number[]> {
  const m = await within(outputMatch(c, /workers ready \(pids ([\d, ]+)\)/), 30000, () => `waiting for the workers:\n${c.output()}`);
  assert.ok(m, `the supervisor ended before its workers were ready:\n${c.output()}`);
  return m[1]!.split(", ").map(Number);
}

/** Fresh connections until every pid of `pids` has answered (at most `tries`). */
async function answeredBy(port: number, pids: number[], tries = 200): Promise<Set<number>> {
  const seen = new Set<number>();
  for (let i = 0; i < tries && !pids.every((pid) => seen.has(pid)); i++) seen.add(await get(port));
  return seen;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Linux's net.ipv4.tcp_migrate_req ("1": connections queued on a closing SO_REUSEPORT socket move to another one), or undefined. */
function migrateSetting(): string | undefined {
  try {
    return readFileSync("/proc/sys/net/ipv4/tcp_migrate_req", "utf8").trim();
  } catch {
    return undefined;
  }
}

const migratesRequests = (): boolean => migrateSetting() === "1";

async function supervisor(dir: string, extra: string[] = []): Promise<{ c: Child; port: number; pids: number[] }> {
  const c = spawnCli(["--listen=127.0.0.1:0", "--workers=2", "--shutdown-timeout=5", ...extra, "pid.mjs"], dir);
  const port = await servingPort(c, 30000);
  const pids = await readyPids(c);
  return { c, port, pids };
}

describe(`waitress-serve --workers (${runtime})`, () => {
  it("two workers answer on one port; SIGTERM drains an in-flight request and exits 0", async () => {
    const dir = await project();
    const { c, port, pids } = await supervisor(dir);
    try {
      assert.equal(pids.length, 2);
      assert.notEqual(pids[0], pids[1]);
      assert.ok(!pids.includes(c.child.pid!), "the workers are processes of their own");
      const seen = await answeredBy(port, pids);
      assert.deepEqual([...seen].sort(), [...pids].sort(), `both workers answer; seen ${[...seen]}`);
      const slow = get(port, "/slow");
      await sleep(200);
      const started = Date.now();
      signalChild(c, "SIGTERM");
      assert.ok(pids.includes(await slow), "the in-flight request is answered");
      const { code } = await within(c.exit, 10000, () => `waiting for exit after SIGTERM:\n${c.output()}`);
      assert.equal(code, 0, c.output());
      assert.ok(Date.now() - started < 5000 + 2000, "within shutdownTimeout");
      assert.match(c.output(), /Received SIGTERM: shutting down 2 workers/);
      // SO_REUSEPORT (Deno, Bun) without the kernel's migration resets connections at a reload: the supervisor says so.
      const warned = /WARNING: net\.ipv4\.tcp_migrate_req is 0: .*sysctl -w net\.ipv4\.tcp_migrate_req=1/.test(c.output());
      assert.equal(warned, runtime !== "node" && migrateSetting() === "0", c.output());
      await sleep(100);
      for (const pid of pids) assert.ok(!alive(pid), `worker ${pid} has ended`);
    } finally {
      await stopChild(c);
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("a worker killed with SIGKILL is logged and replaced; requests go on", async () => {
    const dir = await project();
    const { c, port, pids } = await supervisor(dir);
    try {
      process.kill(pids[0]!, "SIGKILL");
      const died = await within(outputMatch(c, /Worker (\d) \(pid (\d+)\) died \(killed by SIGKILL\): starting a replacement in 0\.1 s/), 10000, () => c.output());
      assert.ok(died, c.output());
      assert.equal(Number(died[2]), pids[0]);
      for (let i = 0; i < 20; i++) assert.ok([pids[1]].concat(pids).includes(await get(port)));
      const replaced = await within(outputMatch(c, /Worker \d replaced: pid (\d+)/), 20000, () => c.output());
      assert.ok(replaced, c.output());
      const fresh = Number(replaced[1]);
      assert.ok(!pids.includes(fresh));
      const seen = await answeredBy(port, [fresh, pids[1]!]);
      assert.ok(seen.has(fresh) && seen.has(pids[1]!), `the replacement answers; seen ${[...seen]}`);
      assert.ok(!seen.has(pids[0]!));
      signalChild(c, "SIGTERM");
      assert.equal((await within(c.exit, 10000, () => c.output())).code, 0, c.output());
    } finally {
      await stopChild(c);
      for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    }
  });

  it("SIGHUP replaces both workers one at a time while 200+ fresh connections succeed (Deno, Bun: at most 2 resets)", async () => {
    const dir = await project();
    const { c, port, pids } = await supervisor(dir);
    const answered: number[] = [];
    const failures: string[] = [];
    try {
      let hupped = false;
      for (let i = 0; i < 3000 && (i < 200 || !/Reload done/.test(c.output())); i++) {
        if (i === 20) {
          process.kill(c.child.pid!, "SIGHUP");
          hupped = true;
        }
        try {
          answered.push(await get(port));
        } catch (error) {
          failures.push(String(error));
        }
      }
      assert.ok(hupped);
      if (runtime !== "node" && !migratesRequests()) {
        // SO_REUSEPORT (Deno, Bun): a connection the kernel queued on the old worker's socket but the
        // worker had not accepted is reset when it closes that socket (on Deno a turn of its event loop
        // after close(): its pending accept holds it), unless the kernel migrates it
        // (net.ipv4.tcp_migrate_req=1). README "Workers" says so. One in a few reloads; never more.
        assert.ok(failures.length <= 2 && failures.every((f) => /ECONNRESET|EPIPE/.test(f)), `${failures}\n${c.output()}`);
      } else {
        assert.deepEqual(failures, [], `requests failed during the reload:\n${c.output()}`);
      }
      assert.match(c.output(), /Reload done/);
      const fresh = [...c.output().matchAll(/Worker \d: pid (\d+) replaces pid (\d+)/g)].map((m) => Number(m[1]));
      assert.equal(fresh.length, 2, c.output());
      for (const pid of fresh) assert.ok(!pids.includes(pid));
      const seen = await answeredBy(port, fresh);
      assert.deepEqual([...seen].sort(), [...fresh].sort(), "only the new workers answer");
      for (const pid of pids) assert.ok(!alive(pid), `old worker ${pid} has ended`);
      signalChild(c, "SIGTERM");
      assert.equal((await within(c.exit, 10000, () => c.output())).code, 0, c.output());
    } finally {
      await stopChild(c);
    }
  });

  it("a worker that cannot start ends the supervisor with 1 and says why", async () => {
    const dir = await project();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const c = spawnCli([`--listen=127.0.0.1:${taken}`, "--workers=2", "pid.mjs"], dir);
    try {
      const { code } = await within(c.exit, 20000, () => c.output());
      assert.equal(code, 1, c.output());
      assert.match(c.output(), /Error: Worker 1 \(pid \d+\) exited \(exit code 1\) before it was ready/);
      assert.match(c.output(), new RegExp(`Cannot listen on 127\\.0\\.0\\.1:${taken}`));
    } finally {
      blocker.close();
      await stopChild(c);
    }
  });
});

describe("workers outside the CLI", () => {
  it("serve() refuses workers > 1 and points at waitress-serve", () => {
    assert.throws(() => serve(() => new Response("x"), { port: 0, workers: 2 }), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /Setting "workers" \(2\) needs the waitress-serve command.*waitress-serve --workers=2/);
      return true;
    });
  });

  it("server.stats() and the access log's %P and %{worker}P name the worker", async () => {
    const log = captureLog();
    const server = startServer(() => new Response("ok"), {
      listen: "127.0.0.1:0", workers: 2, worker: { id: 2, pid: 4242 }, accessLog: true, accessLogFormat: "%P %{worker}P %>s", logger: log.sink,
    }, loadRuntime());
    try {
      await server.ready;
      assert.deepEqual(server.stats().worker, { id: 2, pid: 4242 });
      const port = server.addresses[0]!.port;
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
        socket.on("data", () => {});
        socket.on("close", () => resolve());
        socket.on("error", reject);
      });
      await server.close();
      assert.ok(log.lines.some((line) => line.includes("4242 2 200")), log.lines.join("\n"));
    } finally {
      await server.close();
    }
  });

  it("%P and %{worker}P write - without workers; other arguments are refused", () => {
    const record = {
      remoteAddress: "127.0.0.1", method: "GET", target: "/", httpVersion: "HTTP/1.1", status: 200,
      bodyBytes: 2, startTime: 0, durationMs: 1, referer: undefined, userAgent: undefined, host: "x",
    };
    assert.equal(compileAccessFormat("%P/%{worker}P %s")(record), "-/- 200");
    assert.equal(compileAccessFormat("%P/%{worker}P", { id: 3, pid: 7 })(record), "7/3");
    assert.throws(() => compileAccessFormat("%{thread}P"), /unknown argument in "%\{thread\}P".*use %P or %\{worker\}P/);
  });
});

describe("workers in the CLI's settings and supervisor (fake processes)", () => {
  const cwd = "/srv/workers-test";
  const files = (ini: string) => ({ [`${cwd}/app.ini`]: ini, [`${cwd}/x.mjs`]: "" });
  const importModule = () => Promise.resolve({ default: () => new Response("x") });

  it("takes workers from the command line and the ini file, and names it as the user wrote it", async () => {
    const fromIni = await prepareCli(["--config=app.ini", "x.mjs"], fakeEnv({ cwd, files: files("[server:main]\nworkers = 3\n"), importModule }).env);
    assert.ok(fromIni.kind === "serve");
    assert.equal(fromIni.supervisor.workers, 3);
    const fromFlag = await prepareCli(["--workers=4", "x.mjs"], fakeEnv({ cwd, files: files(""), importModule }).env);
    assert.ok(fromFlag.kind === "serve");
    assert.equal(fromFlag.supervisor.workers, 4);
    assert.match(await usageError(["--workers=0", "x.mjs"], { cwd, files: files(""), importModule }), /^Setting --workers must be 1 or greater; got "0"$/);
    assert.match(await usageError(["--config=app.ini", "x.mjs"], { cwd, files: files("[server:main]\nworkers = 0\n"), importModule }), /Setting "workers" must be 1 or greater/);
  });

  it("refuses --workers where processes cannot be started, and a Unix socket where SO_REUSEPORT shares", async () => {
    const none = fakeEnv({ cwd, files: files(""), importModule });
    assert.equal(await runCli(["--workers=2", "x.mjs"], none.env), undefined);
    assert.deepEqual(none.exits, [1]);
    assert.match(none.err, /^Error: --workers=2 cannot start processes in this environment: use --workers=1\n$/);
    if (runtime === "node") return; // node:cluster shares Unix sockets
    const unix = fakeEnv({ cwd, files: files(""), importModule });
    unix.env.spawnWorker = () => Promise.reject(new Error("must not start a worker"));
    assert.equal(await runCli(["--workers=2", "--unix-socket=/tmp/workers-test.sock", "x.mjs"], unix.env), undefined);
    assert.deepEqual(unix.exits, [1]);
    assert.match(unix.err, new RegExp(`^Error: a Unix socket cannot be shared by 2 workers on ${runtime} .*use --workers=1`));
  });

  it("replaces a dead worker after 0.1 s, then 0.2 s when its replacement dies too, and drains on SIGTERM", async () => {
    const fake = fakeEnv({ cwd, files: files(""), importModule });
    const spawned: { env: Record<string, string>; events: WorkerProcessEvents; pid: number; signals: string[] }[] = [];
    fake.env.pid = 100;
    fake.env.spawnWorker = (env, events) => {
      const worker = { env, events, pid: 200 + spawned.length, signals: [] as string[] };
      spawned.push(worker);
      // Ready soon after it starts; exits once it gets a signal.
      setTimeout(() => events.message({ type: "ready", pid: worker.pid, addresses: ["127.0.0.1:40001"] }), 5);
      return Promise.resolve({
        pid: worker.pid,
        signal: (signal) => {
          worker.signals.push(signal);
          setTimeout(() => events.exit(signal === "SIGKILL" ? null : 0, signal === "SIGKILL" ? "SIGKILL" : null), 5);
        },
      });
    };
    await runCli(["--workers=2", "--listen=127.0.0.1:0", "x.mjs"], fake.env);
    assert.equal(spawned.length, 2);
    assert.deepEqual(spawned.map((w) => w.env.WAITRESS_WORKER), ["1", "2"]);
    if (runtime !== "node") {
      assert.equal(spawned[0]!.env.WAITRESS_WORKER_LISTEN, undefined, "the first worker binds as configured");
      assert.equal(spawned[1]!.env.WAITRESS_WORKER_LISTEN, "127.0.0.1:40001", "the others take its real port");
    }
    assert.ok(fake.logs.some((line) => line.includes("2 workers ready (pids 200, 201)")), fake.logs.join("\n"));
    spawned[1]!.events.exit(null, "SIGKILL");
    assert.ok(fake.logs.some((line) => line.includes("Worker 2 (pid 201) died (killed by SIGKILL): starting a replacement in 0.1 s")), fake.logs.join("\n"));
    await sleep(300);
    assert.equal(spawned.length, 3);
    assert.equal(spawned[2]!.env.WAITRESS_WORKER, "2");
    spawned[2]!.events.exit(1, null);
    assert.ok(fake.logs.some((line) => line.includes("Worker 2 (pid 202) died (exit code 1): starting a replacement in 0.2 s")), fake.logs.join("\n"));
    await sleep(400);
    assert.equal(spawned.length, 4);
    fake.signals.get("SIGTERM")!();
    assert.equal(await within(fake.exited, 5000, () => fake.logs.join("\n")), 0);
    assert.deepEqual(spawned.map((w) => w.signals), [["SIGTERM"], [], [], ["SIGTERM"]]);
  });
});
