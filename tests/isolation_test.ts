/**
 * Isolation (issue 13): an error on one connection, at accept, during setup, or thrown by the core
 * while it handles that connection's bytes, end or close, never reaches the listener or another
 * connection. The adapter of the runtime running the tests is driven by a small fake core over real
 * sockets. Accept errors are classified and backed off (adapters/shared/accept.ts), and a listener that
 * cannot go on shuts the server down with `server.failure` set, instead of going quiet.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { loadRuntime } from "../adapters/auto.ts";
import { acceptErrorKind, acceptLoop, ListenerReport, RESOURCE_BACKOFF_MS } from "../adapters/shared/accept.ts";
import { Server } from "../src/serve/server.ts";
import type { AcceptHandler, Listener, ListenerEvents, Runtime } from "../src/platform.ts";
import { resolveSettings } from "../src/settings/adjustments.ts";
import { Logger } from "../src/policy/logger.ts";
import { lazyRequest } from "../src/web/request.ts";
import { captureLog, RawClient, until } from "./_helpers.ts";
import { latin1Text } from "./_bytes.ts";
import { within } from "./_child.ts";

/** Log lines and failures a listener reported. */
function recorder(): { events: ListenerEvents; lines: string[]; failures: unknown[] } {
  const lines: string[] = [];
  const failures: unknown[] = [];
  return { lines, failures, events: { log: (level, message) => lines.push(`${level}: ${message}`), failed: (error) => failures.push(error) } };
}

const coded = (code: string, message = code): Error => Object.assign(new Error(message), { code });

/** This runtime's adapter, the one the entry points load. */
const currentAdapter = await loadRuntime();

describe(`the ${currentAdapter.name} adapter keeps one connection's failure to itself`, () => {
  const runtime = currentAdapter;
  const { events, lines, failures } = recorder();
  let listener: Listener;
  let port: number;
  let accepted = 0;
  let closes = 0;
  /** A fake core: answers "pong" to any bytes, and throws where the bytes ask it to. */
  const onAccept: AcceptHandler = (socket) => {
    if (accepted++ === 0) throw new Error("setup fails (a test)");
    return {
      onData(chunk) {
        const text = latin1Text(chunk);
        if (text.includes("THROW-DATA")) throw new Error("onData fails (a test)");
        socket.write(new TextEncoder().encode(text.includes("CLOSE-THROWS") ? "armed" : "pong"));
        if (text.includes("CLOSE-THROWS")) this.onClose = () => {
          closes++;
          throw new Error("onClose fails (a test)");
        };
      },
      onEnd() {
        throw new Error("onEnd fails (a test)");
      },
      onDrain() {},
      onClose() {
        closes++;
      },
    };
  };

  before(async () => {
    listener = await runtime.listenTcp("127.0.0.1", 0, 511, onAccept, events);
    port = listener.address.port;
  });
  after(() => listener.close());

  async function ping(): Promise<void> {
    const client = new RawClient(port);
    try {
      await client.send("ping");
      await until(() => client.pending === "pong", `pong (got ${JSON.stringify(client.pending)})`);
    } finally {
      client.destroy();
    }
  }

  it("a connection whose setup throws is closed and logged; the next one is served", async () => {
    const client = new RawClient(port);
    await client.send("hello").catch(() => {}); // the server may have reset it already
    assert.ok(await client.closed(3000), "the failed connection is closed");
    client.destroy();
    await until(() => lines.some((l) => /^error: A connection on .* failed and was closed .*setup fails \(a test\)/s.test(l)), "the setup error logged");
    await ping();
  });

  it("the core throwing on a connection's bytes closes that connection only", async () => {
    const bystander = new RawClient(port);
    await bystander.send("ping");
    await until(() => bystander.pending === "pong", "the bystander is served");
    const client = new RawClient(port);
    await client.send("THROW-DATA");
    assert.ok(await client.closed(3000), "the failing connection is closed");
    client.destroy();
    await until(() => lines.some((l) => l.includes("onData fails (a test)")), "the error logged");
    await bystander.send("ping");
    await until(() => bystander.pending === "pongpong", "the bystander is still served");
    bystander.destroy();
    await ping();
  });

  it("the core throwing on the peer's FIN closes that connection only", async () => {
    const client = new RawClient(port);
    await client.send("ping");
    await until(() => client.pending === "pong", "served");
    client.end();
    assert.ok(await client.closed(3000), "closed after onEnd threw");
    client.destroy();
    await until(() => lines.some((l) => l.includes("onEnd fails (a test)")), "the error logged");
    await ping();
  });

  it("the core throwing in onClose is logged, and the listener goes on", async () => {
    const before = closes;
    const client = new RawClient(port);
    await client.send("CLOSE-THROWS");
    await until(() => client.pending === "armed", "armed");
    (client.socket as RawClient["socket"] & { resetAndDestroy(): void }).resetAndDestroy();
    await until(() => closes === before + 1, "onClose ran");
    await until(() => lines.some((l) => l.includes("onClose fails (a test)")), "the error logged");
    await ping();
    assert.deepEqual(failures, [], "the listener never failed");
  });
});

describe("accept errors (adapters/shared/accept.ts)", () => {
  it("are classified: the peer's doing, out of resources, the listener gone, unknown", () => {
    assert.equal(acceptErrorKind(coded("ECONNABORTED")), "peer");
    assert.equal(acceptErrorKind(coded("ENOTCONN")), "peer");
    assert.equal(acceptErrorKind(Object.assign(new Error("x"), { name: "ConnectionReset" })), "peer");
    for (const code of ["EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"]) assert.equal(acceptErrorKind(coded(code)), "resources");
    assert.equal(acceptErrorKind(coded("EBADF")), "fatal");
    assert.equal(acceptErrorKind(Object.assign(new Error("Listener has been closed"), { name: "BadResource" })), "fatal");
    assert.equal(acceptErrorKind(new Error("something else")), "unknown");
  });

  /** An acceptLoop over scripted accept results (errors are thrown, anything else is a connection). */
  function scripted(script: unknown[], serve: (conn: string) => void = () => {}) {
    const { events, lines, failures } = recorder();
    const times: number[] = [];
    const dropped: string[] = [];
    let stopped = false;
    let i = 0;
    const done = acceptLoop<string>({
      accept: () => {
        times.push(Date.now());
        if (i >= script.length) return new Promise<string>(() => {}); // then no more clients
        const next = script[i++];
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next as string);
      },
      serve,
      drop: (conn) => dropped.push(conn),
      closed: () => stopped,
      stop: () => (stopped = true),
      report: new ListenerReport(events, "test:1"),
    });
    return { done, lines, failures, times, dropped, stopped: () => stopped, finished: () => i >= script.length };
  }

  it("a client that left first: logged at debug, accepting goes on at once", async () => {
    const served: string[] = [];
    const run = scripted([coded("ECONNABORTED"), coded("ENOTCONN"), "a"], (c) => served.push(c));
    await until(() => served.length === 1, "the next connection served");
    assert.deepEqual(run.lines.map((l) => l.split(":")[0]), ["debug", "debug"]);
    assert.ok(run.times[2] - run.times[0] < RESOURCE_BACKOFF_MS, "no back-off");
  });

  it("out of descriptors: one warning, a 500 ms back-off between tries, one line when it works again", async () => {
    const served: string[] = [];
    const run = scripted([coded("EMFILE"), coded("EMFILE"), "a"], (c) => served.push(c));
    await until(() => served.length === 1, "served once descriptors are back", 5000);
    assert.ok(run.times[1] - run.times[0] >= RESOURCE_BACKOFF_MS - 20, `backed off (${run.times[1] - run.times[0]} ms)`);
    assert.ok(run.times[2] - run.times[1] >= RESOURCE_BACKOFF_MS - 20);
    assert.equal(run.lines.length, 2, run.lines.join("\n"));
    assert.match(run.lines[0], /^warning: Cannot accept connections on test:1, out of descriptors .*EMFILE.*retrying every 500 ms/);
    assert.match(run.lines[1], /^info: Accepting connections on test:1 again \(after 2 failed attempts\)/);
  });

  it("a connection whose setup throws is dropped and logged; the loop accepts the next", async () => {
    const served: string[] = [];
    const run = scripted(["bad", "good"], (c) => {
      if (c === "bad") throw new Error("setup fails (a test)");
      served.push(c);
    });
    await until(() => served.length === 1, "the next connection served");
    assert.deepEqual(run.dropped, ["bad"]);
    assert.match(run.lines[0], /^error: A connection on test:1 failed and was closed .*setup fails/s);
  });

  it("a listener that is gone: closed, logged at error level, reported as failed, and the loop ends", async () => {
    const gone = Object.assign(new Error("Bad resource ID"), { name: "BadResource" });
    const run = scripted([gone]);
    await within(run.done, 2000, () => "the loop did not end");
    assert.ok(run.stopped());
    assert.deepEqual(run.failures, [gone]);
    assert.match(run.lines.at(-1)!, /^error: The listener on test:1 failed and cannot accept connections any more/);
  });

  it("closing the listener ends the loop quietly", async () => {
    let stopped = false;
    const { events, lines } = recorder();
    const done = acceptLoop<string>({
      accept: () => (stopped ? Promise.reject(new Error("Listener has been closed")) : new Promise((_, reject) => setTimeout(() => {
        stopped = true;
        reject(Object.assign(new Error("closed"), { name: "Interrupted" }));
      }, 10))),
      serve: () => {},
      drop: () => {},
      closed: () => stopped,
      stop: () => {},
      report: new ListenerReport(events, "test:2"),
    });
    await within(done, 2000, () => "the loop did not end");
    assert.deepEqual(lines, []);
  });
});

describe("a listener that fails shuts the server down, never silently", () => {
  it("server.failure is set and finished resolves", async () => {
    const real = currentAdapter;
    const log = captureLog();
    const broken = new Error("the listening socket broke (a test)");
    const fake: Runtime = {
      name: "fake",
      createRequest: lazyRequest,
      listenTcp: (host, _port, _backlog, _onAccept, events) => {
        setTimeout(() => events?.failed(broken), 20);
        return Promise.resolve({ address: { transport: "tcp", hostname: host, port: 4321 }, close: () => Promise.resolve() });
      },
      listenUnix: () => Promise.reject(new Error("not used")),
      lookup: () => Promise.resolve([]),
      clock: real.clock,
      files: real.files,
    };
    const { settings } = resolveSettings({ host: "127.0.0.1", port: 0 });
    const server = new Server(() => new Response("never"), settings, fake, new Logger("debug", log.sink));
    await server.ready;
    assert.equal(server.failure, undefined);
    await within(server.finished, 5000, () => "the server did not shut down");
    assert.equal(server.failure, broken);
  });
});
