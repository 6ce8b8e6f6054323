/**
 * Every timeout of a connection, over a fake socket and a fake clock (tests/_fake_connection.ts): the
 * test moves the clock and calls `checkTimeouts(now)` as the server's sweep does, so each limit is
 * checked on both sides of its edge without sleeping.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fakeConnection, responses } from "./_fake_connection.ts";
import { until } from "./_helpers.ts";

const GET = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

describe("headerTimeout (fake clock)", () => {
  it("closes a connection that never sends a byte, without a response, once headerTimeout passes after accept", () => {
    const { connection, socket, clock } = fakeConnection(() => new Response("x"));
    connection.checkTimeouts(clock.advance(1000));
    assert.equal(socket.gone, false, "not before the timeout");
    connection.checkTimeouts(clock.advance(1));
    assert.equal(socket.ended, true);
    assert.equal(socket.out, "", "no request, so no 408");
  });

  it("answers a half-sent head with 408 and closes", () => {
    const { connection, socket, clock, feed } = fakeConnection(() => new Response("x"));
    feed("GET / HTTP/1.1\r\nHo");
    connection.checkTimeouts(clock.advance(1000));
    assert.equal(socket.out, "");
    connection.checkTimeouts(clock.advance(1));
    assert.match(socket.out, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(socket.out, /\r\nConnection: close\r\n/i);
    assert.equal(socket.ended, true);
  });

  it("times a later request's head from its first byte, not from the previous response", async () => {
    const { connection, socket, clock, feed } = fakeConnection(() => new Response("x"));
    feed(GET);
    await until(() => responses(socket.out) === 1, "the first response");
    connection.checkTimeouts(clock.advance(900)); // idle keep-alive, within channelTimeout
    feed("GET / HTTP/1.1\r\n");
    connection.checkTimeouts(clock.advance(900)); // 1800 ms after the response, 900 after the first byte
    assert.equal(socket.gone, false);
    connection.checkTimeouts(clock.advance(101));
    assert.match(socket.out, /HTTP\/1\.1 408 /);
    assert.equal(responses(socket.out), 2);
  });
});

describe("channelTimeout (fake clock)", () => {
  it("closes an idle keep-alive connection after channelTimeout, without a response", async () => {
    const { connection, socket, clock, feed } = fakeConnection(() => new Response("x"), undefined, { channelTimeoutMs: 5000 });
    feed(GET);
    await until(() => responses(socket.out) === 1, "the response");
    const before = socket.out;
    connection.checkTimeouts(clock.advance(5000));
    assert.equal(socket.gone, false, "not before the timeout");
    connection.checkTimeouts(clock.advance(1));
    assert.equal(socket.ended, true);
    assert.equal(socket.out, before, "nothing more is written");
  });

  it("destroys a connection whose client stopped reading, channelTimeout after the output stalled, and logs why", async () => {
    const { connection, socket, clock, feed, log } = fakeConnection(() => new Response("x".repeat(100_000)));
    socket.accepting = false; // every write reports congestion
    feed(GET);
    await until(() => socket.out.length > 0, "the response is written");
    connection.checkTimeouts(clock.advance(1000));
    assert.equal(socket.destroyed, false, "not before the timeout");
    connection.checkTimeouts(clock.advance(1));
    assert.equal(socket.destroyed, true);
    assert.match(log.lines.join("\n"), /stopped reading the response/);
  });

  it("a client reading slowly is not stalled: each drain restarts the clock", async () => {
    const { connection, socket, clock, feed } = fakeConnection(() => new Response("x"));
    socket.accepting = false;
    feed(GET);
    await until(() => socket.out.length > 0, "the response is written");
    connection.checkTimeouts(clock.advance(900));
    socket.accepting = true;
    connection.onDrain();
    connection.checkTimeouts(clock.advance(900));
    assert.equal(socket.destroyed, false);
  });
});

describe("bodyTimeout (fake clock)", () => {
  it("answers 408 when the body stalls while the handler reads it, and the handler's read fails", async () => {
    let readError: unknown;
    const { connection, socket, clock, feed } = fakeConnection(async (request) => {
      try {
        await request.text();
      } catch (error) {
        readError = error;
      }
      return new Response("never sent");
    });
    feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    await until(() => connection.reclaimAt(0) !== Infinity, "the handler waits for the body");
    connection.checkTimeouts(clock.advance(1000));
    assert.equal(socket.out, "", "not before the timeout");
    connection.checkTimeouts(clock.advance(1));
    assert.match(socket.out, /^HTTP\/1\.1 408 /);
    await until(() => readError !== undefined, "the handler's read fails");
    assert.doesNotMatch(socket.out, /never sent/);
  });

  it("each body byte restarts the body clock", async () => {
    const { connection, socket, clock, feed } = fakeConnection(async (request) => new Response(await request.text()));
    feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na");
    await until(() => connection.reclaimAt(0) !== Infinity, "the handler waits for the body");
    connection.checkTimeouts(clock.advance(900));
    feed("b");
    connection.checkTimeouts(clock.advance(900));
    feed("c");
    await until(() => responses(socket.out) === 1, "the response");
    assert.match(socket.out, /^HTTP\/1\.1 200 [\s\S]*\r\n\r\nabc$/);
  });

  it("a body that stalls after the response started closes the connection without a second status line", async () => {
    const { connection, socket, clock, feed } = fakeConnection((request) => {
      const reader = request.body!.getReader();
      const body = new ReadableStream({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) controller.close();
          else controller.enqueue(value);
        },
      });
      return new Response(body);
    });
    feed("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc");
    await until(() => socket.out.includes("abc"), "the first body bytes are echoed");
    connection.checkTimeouts(clock.advance(1001));
    assert.equal(socket.destroyed, true);
    assert.equal(responses(socket.out), 1);
  });
});

describe("reclaimAt / reclaim (fake clock): making room at the connection limit", () => {
  it("an idle keep-alive connection may be closed at once; a silent fresh one after the grace", async () => {
    const { connection, socket, clock, feed } = fakeConnection(() => new Response("x"));
    const accepted = clock.now();
    assert.equal(connection.reclaimAt(300), accepted + 300, "fresh: grace from accept");
    feed(GET);
    await until(() => responses(socket.out) === 1, "the response");
    clock.advance(50);
    assert.ok(connection.reclaimAt(300) <= clock.now(), "idle keep-alive: at once");
    connection.reclaim();
    assert.equal(socket.ended, true);
  });

  it("a half-sent head is answered 408 when reclaimed", () => {
    const { connection, socket, feed } = fakeConnection(() => new Response("x"));
    feed("GET / HTTP/1.1\r\n");
    connection.reclaim();
    assert.match(socket.out, /^HTTP\/1\.1 408 /);
  });

  it("a connection serving a request is never reclaimed", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { connection, socket, feed } = fakeConnection(async () => (await gate, new Response("x")));
    feed(GET);
    assert.equal(connection.reclaimAt(0), Infinity);
    release();
    await until(() => responses(socket.out) === 1, "the response");
  });
});
