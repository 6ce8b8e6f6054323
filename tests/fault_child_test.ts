/**
 * Faults that could end the whole process, tried on `waitress-serve` (cli.ts) in a child process on
 * the runtime running the tests (issue 13): clients that reset before the server accepts them (once
 * ended Deno with status 0), and more connections than the process has descriptors (`ulimit -n`).
 * After each, the child still runs and answers a normal request.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { join } from "node:path";
import { exchange, RawClient, runtime, sleep, until } from "./_helpers.ts";
import { cliEntry, runtimeCommand, servingPort, spawnChild, spawnCli, stopChild, within, type Child } from "./_child.ts";
import { repoRoot } from "./_root.ts";

const fixtures = join(repoRoot(), runtime === "node" ? "dist/tests/fixtures" : "tests/fixtures");
const APP = `cli_app.${runtime === "node" ? "js" : "ts"}:handler`;

function alive(c: Child): boolean {
  return c.child.exitCode === null && c.child.signalCode === null;
}

/** Connects, sends `data`, and resets (SO_LINGER 0) at once, as the Python client does. */
function resetSoon(port: number, data: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
    socket.once("connect", () => {
      if (data !== "") socket.write(data);
      (socket as net.Socket & { resetAndDestroy(): void }).resetAndDestroy();
    });
  });
}

async function normalRequest(port: number, what: string): Promise<void> {
  const { response } = await exchange(port, "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  assert.equal(response.status, 200, what);
  assert.equal(response.text, "handler GET /after HTTP/1.1", what);
}

describe("waitress-serve survives clients that reset", () => {
  it("two resets in quick succession, then a normal request is served and the process still runs", async () => {
    const c = spawnCli(["--listen=127.0.0.1:0", "--log-level=debug", APP], fixtures);
    try {
      const port = await servingPort(c);
      await resetSoon(port, "GET /partial");
      await resetSoon(port, "GET /partial");
      await normalRequest(port, `after two resets; output:\n${c.output()}`);
      assert.ok(alive(c), `the server still runs; output:\n${c.output()}`);
    } finally {
      await stopChild(c);
    }
  });

  it("a burst of 100 resets (half without a byte sent) leaves it serving", async () => {
    const c = spawnCli(["--listen=127.0.0.1:0", APP], fixtures);
    try {
      const port = await servingPort(c);
      await Promise.all(Array.from({ length: 100 }, (_, i) => resetSoon(port, i % 2 === 0 ? "" : "GET /partial HTTP/1.1\r\n")));
      await normalRequest(port, `after 100 resets; output:\n${c.output()}`);
      assert.ok(alive(c), `the server still runs; output:\n${c.output()}`);
      assert.doesNotMatch(c.output(), /ERROR/, "resets are no errors");
    } finally {
      await stopChild(c);
    }
  });
});

/** Opens a connection and resolves once connected (the kernel accepts it even when the server cannot). */
function open(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("waitress-serve out of descriptors (ulimit -n 64)", () => {
  it("more connections than descriptors: it keeps the open ones, serves again once descriptors free up, never exits", async () => {
    const [command, argv] = runtimeCommand(cliEntry, ["--listen=127.0.0.1:0", "--log-level=info", APP]);
    // exec keeps the runtime as the child itself, with the lowered limit.
    const c = spawnChild("sh", ["-c", 'ulimit -n 64 && exec "$0" "$@"', command, ...argv], { cwd: fixtures });
    const flood: net.Socket[] = [];
    let steady: RawClient | undefined;
    try {
      const port = await servingPort(c, 20_000);
      steady = new RawClient(port);
      await steady.send("GET /steady HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await steady.response()).status, 200);

      const closedByServer = { n: 0 };
      for (let i = 0; i < 150; i++) {
        const socket = await open(port);
        socket.on("error", () => {});
        socket.on("close", () => closedByServer.n++);
        flood.push(socket);
      }
      if (runtime === "deno") {
        // Deno reports the accept error (EMFILE) and backs off.
        await within(until(() => /Cannot accept connections on .*(EMFILE|Too many open files)/.test(c.output()), "the accept error logged", 10_000), 11_000, () => c.output());
      } else if (runtime === "node") {
        // libuv handles EMFILE itself: it accepts and closes the waiting connections, and reports nothing.
        await until(() => closedByServer.n > 0, "libuv dropped connections it could not keep", 10_000);
      }
      // Connections accepted before the descriptors ran out go on.
      await steady.send("GET /steady HTTP/1.1\r\nHost: x\r\n\r\n");
      assert.equal((await steady.response({ timeoutMs: 10_000 })).text, "handler GET /steady HTTP/1.1", `while out of descriptors; output:\n${c.output()}`);
      assert.ok(alive(c), `still runs while out of descriptors; output:\n${c.output()}`);

      for (const socket of flood) socket.destroy();
      // Once descriptors are free, new connections are served again. The server frees them as it
      // hears of the closes; until then libuv may still accept and drop a newcomer: try again.
      const deadline = Date.now() + 15_000;
      let text = "";
      for (;;) {
        try {
          const { response } = await within(exchange(port, "GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), 5_000, () => c.output());
          text = response.text;
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(100);
        }
      }
      assert.equal(text, "handler GET /after HTTP/1.1");
      assert.ok(alive(c), `still runs; output:\n${c.output()}`);
      if (runtime === "deno") {
        await until(() => /Accepting connections on .* again/.test(c.output()), "the end of the episode logged", 10_000);
      }
      assert.doesNotMatch(c.output(), /Uncaught|panicked|FATAL/i, "no crash report");
    } finally {
      for (const socket of flood) socket.destroy();
      steady?.destroy();
      await stopChild(c);
    }
  });
});
