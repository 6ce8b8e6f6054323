/**
 * The connection as a sans-IO state machine (src/serve/connection.ts), driven through a fake socket: the
 * orderings a real socket cannot pin down (a FIN while the handler runs), calls on a closed or closing
 * connection, and how socket errors are logged.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fakeConnection, responses, TCP, UNIX } from "./_fake_connection.ts";
import { until } from "./_helpers.ts";
import { isRoutineSocketError } from "../adapters/shared/socket_errors.ts";

const setup = fakeConnection;

describe("Connection: a FIN while the handler runs", () => {
  it("answers the request, then closes without answering a half-sent pipelined one", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { connection, socket, feed } = setup(async () => {
      await gate;
      return new Response("first");
    });
    feed("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHo");
    connection.onEnd();
    assert.equal(socket.ended, false, "the request in flight is still answered");
    release();
    await until(() => socket.ended, "the connection ends");
    assert.equal(responses(socket.out), 1);
    assert.match(socket.out, /first$/);
  });
});

describe("Connection: calls on a closed or closing connection", () => {
  it("ignores bytes after it answered with an error, and a later FIN", () => {
    let calls = 0;
    const { connection, socket, feed } = setup(() => (calls++, new Response("x")));
    feed("BAD\r\n\r\n");
    assert.match(socket.out, /^HTTP\/1\.1 400 /);
    assert.equal(socket.ended, true);
    const before = socket.out;
    feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    connection.onEnd();
    assert.equal(socket.out, before, "nothing more is written");
    assert.equal(calls, 0, "the handler never runs");
  });

  it("reports its close once, and then ignores timeouts, reclaims and idle closes", () => {
    let closed = 0;
    const { connection, socket } = setup(() => new Response("x"), TCP, { onClosed: () => closed++ });
    connection.onClose();
    connection.onClose();
    assert.equal(closed, 1);
    connection.checkTimeouts(Date.now() + 1e9);
    connection.reclaim();
    connection.closeIfIdle();
    assert.equal(socket.out, "");
    assert.equal(socket.ended, false, "a closed socket is not ended again");
    assert.equal(socket.destroyed, false);
  });

  it("does not time out the discarded rest of a body once the socket is closed", async () => {
    const { connection, socket, feed } = setup(() => new Response("early"));
    feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab");
    await until(() => socket.out.endsWith("early"), "the response");
    assert.equal(socket.ended, false, "kept alive, discarding the rest of the body");
    connection.onClose();
    connection.checkTimeouts(Date.now() + 1e9);
    assert.equal(socket.destroyed, false);
    assert.equal(responses(socket.out), 1);
  });

  it("does not close a busy connection when asked to close if idle, nor reclaim one that is closing", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { connection, socket, feed } = setup(async () => {
      await gate;
      return new Response("kept");
    });
    feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    connection.closeIfIdle();
    assert.equal(socket.ended, false, "busy: not closed");
    connection.onEnd(); // the client half-closed: answering its last request
    assert.equal(connection.reclaimAt(0), Infinity);
    connection.reclaim();
    assert.equal(socket.out, "", "no 408 for a request being answered");
    release();
    await until(() => socket.ended, "answered, then ended");
    assert.match(socket.out, /kept$/);
  });

  it("serves without an onResponse hook", async () => {
    const { socket, feed } = setup(() => new Response("no hook"), TCP, { onResponse: undefined });
    feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
    await until(() => socket.out.endsWith("no hook"), "the response");
    assert.match(socket.out, /^HTTP\/1\.1 200 OK[\s\S]*no hook$/);
  });
});

describe("Connection: socket errors in the log (logSocketErrors)", () => {
  const logged = (error: unknown, peer = TCP, logSocketErrors = true): string[] => {
    const { connection, log } = setup(() => new Response("x"), peer, { logSocketErrors });
    // As the adapters do: they classify the runtime's error; the core only hears whether it is routine.
    connection.onClose(error, isRoutineSocketError(error));
    return log.lines;
  };

  it("logs resets and broken pipes at info, by code (Node, Bun) or name (Deno), as the adapters classify them", () => {
    for (const code of ["ECONNRESET", "EPIPE", "ECONNABORTED"]) {
      const error = Object.assign(new Error(`read ${code}`), { code });
      assert.deepEqual(logged(error), [`waitress INFO: Socket error from 10.1.2.3: read ${code}`]);
    }
    for (const name of ["ConnectionReset", "BrokenPipe"]) {
      const error = new Error("gone");
      error.name = name;
      assert.deepEqual(logged(error), ["waitress INFO: Socket error from 10.1.2.3: gone"]);
    }
  });

  it("logs other errors at warning, names a unix peer, and prints a non-Error as text", () => {
    assert.deepEqual(logged(new Error("odd")), ["waitress WARNING: Socket error from 10.1.2.3: odd"]);
    assert.deepEqual(logged("weird", UNIX), ["waitress WARNING: Socket error from a unix socket peer: weird"]);
  });

  it("logs nothing without logSocketErrors, or for a clean close", () => {
    assert.deepEqual(logged(new Error("odd"), TCP, false), []);
    assert.deepEqual(logged(undefined), []);
  });
});
