/**
 * WebSocket over real sockets (issue 18), on every runtime: the handshake and its refusals (400, 426),
 * messages both ways, the close handshake from either side, pings, protocol errors and limits, the
 * idle ping and its timeout, a client that never reads, listener exceptions, shutdown (1001), the
 * access log and stats (thread mode: tests/websocket_threads_test.ts). A raw client (tests/_ws_client.ts) shows
 * exactly what the server sent.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, type ServeOptions, upgradeWebSocket, WebSocketHandshakeError } from "../mod.ts";
import type { ServerWebSocket } from "../mod.ts";
import { RawClient, runtime, sleep, startServer, until } from "./_helpers.ts";
import { HAVE_OPENSSL, makeTlsFiles, tlsClient } from "./_tls.ts";
import { clientFrame, closePayload, HANDSHAKE_ACCEPT, handshakeRequest, OP, textOf, WsClient } from "./_ws_client.ts";

/** What the server-side sockets saw. */
interface Seen {
  events: string[];
  sockets: ServerWebSocket[];
}

/** An echo app recording its sockets' events; `setup` may change a socket before the response goes. */
type Setup = (socket: ServerWebSocket, request: Request, response: Response) => void | Response;

function echoApp(seen: Seen, setup?: Setup) {
  return (request: Request): Response => {
    if (request.headers.get("upgrade") === null) return new Response("plain");
    const protocol = request.headers.get("x-protocol") ?? undefined;
    const { socket, response } = upgradeWebSocket(request, { protocol });
    seen.sockets.push(socket);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => seen.events.push(`open ${socket.url} ${socket.protocol}`);
    socket.onmessage = (event) => {
      const data: unknown = event.data;
      seen.events.push(typeof data === "string" ? `text ${data}` : `binary ${(data as ArrayBuffer).byteLength}`);
      socket.send(data as string | ArrayBuffer);
    };
    socket.onerror = (event) => seen.events.push(`error ${(event as Event & { message?: string }).message}`);
    socket.onclose = (event) => {
      const e = event as Event & { code: number; reason: string; wasClean: boolean };
      seen.events.push(`close ${e.code} ${e.reason} ${e.wasClean}`);
    };
    const replaced = setup?.(socket, request, response);
    return replaced ?? response;
  };
}

async function withEcho(options: ServeOptions, run: (port: number, seen: Seen, log: string[]) => Promise<void>, setup?: Setup): Promise<void> {
  const seen: Seen = { events: [], sockets: [] };
  const s = await startServer(echoApp(seen, setup), options);
  try {
    await run(s.port, seen, s.log.lines);
  } finally {
    await s.close();
  }
}

describe("WebSocket handshake", () => {
  it("answers 101 with the accept key, Date and Server; the socket opens with a ws: URL", async () => {
    await withEcho({}, async (port, seen) => {
      const ws = await WsClient.open(port, "/chat?room=1");
      try {
        const h = ws.handshake;
        assert.equal(h.reason, "Switching Protocols");
        assert.equal(h.header("upgrade"), "websocket");
        assert.equal(h.header("connection"), "Upgrade");
        assert.equal(h.header("sec-websocket-accept"), HANDSHAKE_ACCEPT);
        assert.ok(h.header("date"));
        assert.equal(h.header("server"), "waitress");
        assert.equal(h.header("content-length"), undefined);
        await until(() => seen.events.length > 0, "open event");
        assert.equal(seen.events[0], `open ws://127.0.0.1:${port}/chat?room=1 `);
      } finally {
        ws.destroy();
      }
    });
  });

  it("selects the subprotocol the handler asks for, and sends headers the handler added", async () => {
    await withEcho({}, async (port) => {
      const ws = await WsClient.open(port, "/", { "Sec-WebSocket-Protocol": "chat.v1, chat.v2", "X-Protocol": "chat.v2" });
      try {
        assert.equal(ws.handshake.header("sec-websocket-protocol"), "chat.v2");
        assert.equal(ws.handshake.header("set-cookie"), "session=1");
      } finally {
        ws.destroy();
      }
    }, (_socket, _request, response) => {
      response.headers.set("set-cookie", "session=1");
    });
  });

  for (const [name, extra, status] of [
    ["no Sec-WebSocket-Key", { "Sec-WebSocket-Key": null }, 400],
    ["a key that is not 16 bytes", { "Sec-WebSocket-Key": "c2hvcnQ=" }, 400],
    ["no Connection: upgrade", { Connection: "keep-alive" }, 400],
    ["Upgrade: h2c", { Upgrade: "h2c" }, 400],
    ["version 8", { "Sec-WebSocket-Version": "8" }, 426],
  ] as [string, Record<string, string | null>, number][]) {
    it(`refuses a handshake with ${name}: ${status}`, async () => {
      await withEcho({}, async (port, seen) => {
        const client = new RawClient(port);
        try {
          await client.send(handshakeRequest(port, "/", extra));
          const response = await client.response();
          assert.equal(response.status, status, response.text);
          if (status === 426) assert.equal(response.header("sec-websocket-version"), "13");
          assert.ok(response.text.length > 0 && response.text.length < 300, response.text);
          assert.equal(seen.sockets.length, 0);
        } finally {
          client.destroy();
        }
      });
    });
  }

  it("lets a handler catch the handshake error and answer it itself", async () => {
    const s = await startServer((request) => {
      try {
        return upgradeWebSocket(request).response;
      } catch (error) {
        assert.ok(error instanceof WebSocketHandshakeError);
        return new Response(`caught ${error.status}`, { status: 418 });
      }
    });
    try {
      const client = new RawClient(s.port);
      await client.send(handshakeRequest(s.port, "/", { "Sec-WebSocket-Version": "7" }));
      const response = await client.response();
      assert.equal(response.status, 418);
      assert.equal(response.text, "caught 426");
      client.destroy();
    } finally {
      await s.close();
    }
  });

  it("a handler that returns another response after upgradeWebSocket(): that response goes out, the socket closes unopened", async () => {
    await withEcho({}, async (port, seen) => {
      const client = new RawClient(port);
      try {
        await client.send(handshakeRequest(port));
        const response = await client.response();
        assert.equal(response.status, 403);
        await until(() => seen.events.some((e) => e.startsWith("close 1006")), "close event");
        assert.ok(!seen.events.some((e) => e.startsWith("open")));
      } finally {
        client.destroy();
      }
    }, () => new Response("no", { status: 403 }));
  });
});

describe("WebSocket messages and closing", () => {
  it("echoes text (non-ASCII) and binary, including frames that arrived with the handshake", async () => {
    await withEcho({}, async (port, seen) => {
      const raw = new RawClient(port);
      try {
        // The handshake and a first frame in one write: the bytes after the head belong to the socket.
        const head = new TextEncoder().encode(handshakeRequest(port));
        const first = clientFrame(OP.text, "héllo ☃");
        const both = new Uint8Array(head.length + first.length);
        both.set(head);
        both.set(first, head.length);
        await raw.send(both);
        assert.equal((await raw.response()).status, 101);
        const ws = Object.assign(Object.create(WsClient.prototype), { raw }) as WsClient;
        const echo = await ws.frame();
        assert.equal(echo.opcode, OP.text);
        assert.equal(textOf(echo), "héllo ☃");
        const big = new Uint8Array(200_000).map((_, i) => i & 0xff);
        await ws.sendBinary(big);
        const back = await ws.frame();
        assert.equal(back.opcode, OP.binary);
        assert.deepEqual(back.payload, big);
        assert.deepEqual(seen.events.slice(1, 3), ["text héllo ☃", "binary 200000"]);
        await ws.sendText("\uFEFFbom"); // a leading byte-order mark is part of the message
        assert.equal(textOf(await ws.frame()), "\uFEFFbom");
        assert.equal(seen.events[3], "text \uFEFFbom");
      } finally {
        raw.destroy();
      }
    });
  });

  it("reassembles fragments with a ping between them, and answers the ping with its payload", async () => {
    await withEcho({}, async (port) => {
      const ws = await WsClient.open(port);
      try {
        await ws.send(clientFrame(OP.text, "frag", { fin: false }));
        await ws.send(clientFrame(OP.ping, "are you there"));
        await ws.send(clientFrame(OP.continuation, "ment", { fin: true }));
        const pong = await ws.frame();
        assert.equal(pong.opcode, OP.pong);
        assert.equal(textOf(pong), "are you there");
        const echo = await ws.frame();
        assert.equal(textOf(echo), "fragment");
      } finally {
        ws.destroy();
      }
    });
  });

  it("a client's close is echoed and the server closes the TCP connection; the socket closes cleanly", async () => {
    await withEcho({}, async (port, seen) => {
      const ws = await WsClient.open(port);
      await ws.send(clientFrame(OP.close, closePayload(1000, "bye")));
      assert.deepEqual(await ws.closeFrame(), { code: 1000, reason: "" });
      assert.ok(await ws.raw.closed(2000), "the server closed the connection");
      await until(() => seen.events.includes("close 1000 bye true"), "close event");
    });
  });

  it("socket.close(code, reason) sends a close frame and ends once the client answers", async () => {
    await withEcho({}, async (port, seen) => {
      const ws = await WsClient.open(port);
      await until(() => seen.sockets.length === 1 && seen.sockets[0].readyState === 1, "open");
      seen.sockets[0].close(4000, "done here");
      assert.equal(seen.sockets[0].readyState, 2);
      assert.deepEqual(await ws.closeFrame(), { code: 4000, reason: "done here" });
      await ws.send(clientFrame(OP.close, closePayload(4000)));
      assert.ok(await ws.raw.closed(2000));
      await until(() => seen.events.includes("close 4000  true"), "close event");
      assert.equal(seen.sockets[0].readyState, 3);
    });
  });

  it("an unmasked frame fails the connection with 1002; the server goes on serving", async () => {
    await withEcho({}, async (port, seen) => {
      const ws = await WsClient.open(port);
      await ws.send(clientFrame(OP.text, "x", { mask: false }));
      assert.equal((await ws.closeFrame()).code, 1002);
      assert.ok(await ws.raw.closed(2000));
      await until(() => seen.events.some((e) => e.startsWith("close 1002") && e.endsWith("false")), "close event");
      assert.ok(seen.events.some((e) => e.startsWith("error ")));
      const again = await WsClient.open(port);
      await again.sendText("still here");
      assert.equal(textOf(await again.frame()), "still here");
      again.destroy();
    });
  });

  it("a message over wsMaxMessageSize closes with 1009 before the payload is buffered", async () => {
    await withEcho({ wsMaxMessageSize: 1000 }, async (port) => {
      const ws = await WsClient.open(port);
      await ws.sendText("a".repeat(1000));
      assert.equal(textOf(await ws.frame()).length, 1000);
      await ws.send(clientFrame(OP.text, "b".repeat(1001)).subarray(0, 20)); // the header says 1001
      assert.equal((await ws.closeFrame()).code, 1009);
      ws.destroy();
    });
  });

  it("an exception in a listener is logged and the connection goes on", async () => {
    await withEcho({}, async (port, _seen, log) => {
      const ws = await WsClient.open(port);
      try {
        await ws.sendText("boom");
        await ws.sendText("after");
        assert.equal(textOf(await ws.frame()), "boom"); // the echo listener ran before the one that threw
        assert.equal(textOf(await ws.frame()), "after");
        await until(() => log.some((l) => l.includes("Exception in a WebSocket listener")), "logged");
      } finally {
        ws.destroy();
      }
    }, (socket) => {
      socket.addEventListener("message", (event) => {
        if ((event as MessageEvent).data === "boom") throw new Error("listener bug");
      });
    });
  });

  it("on* handlers: setting one replaces the last, null removes it, and its exception is logged like a listener's", async () => {
    await withEcho({}, async (port, _seen, log) => {
      const ws = await WsClient.open(port);
      try {
        await ws.sendText("boom");
        await until(() => log.some((l) => l.includes("Exception in a WebSocket listener")), "logged");
        await ws.sendText("second");
        assert.equal(textOf(await ws.frame()), "handler 2: second", "the first handler is gone");
        await ws.sendText("third");
        assert.equal(textOf(await ws.frame()), "listener: third", "onmessage = null left only the listener");
      } finally {
        ws.destroy();
      }
    }, (socket) => {
      assert.equal(socket.onmessage !== null, true);
      socket.onmessage = (event) => {
        if (event.data === "boom") {
          socket.onmessage = (next) => {
            socket.send(`handler 2: ${next.data}`);
            socket.onmessage = null;
            assert.equal(socket.onmessage, null);
            socket.addEventListener("message", (last) => socket.send(`listener: ${(last as MessageEvent).data}`));
          };
          throw new Error("handler bug");
        }
      };
    });
  });

  it("sends in call order across a Blob, and send() before the socket opens throws InvalidStateError", async () => {
    await withEcho({}, async (port) => {
      const ws = await WsClient.open(port);
      try {
        await ws.sendText("go");
        const frames = [await ws.frame(), await ws.frame(), await ws.frame(), await ws.frame()];
        assert.deepEqual(frames.map((f) => f.opcode === OP.text ? textOf(f) : `bin:${textOf(f)}`), ["go", "bin:blob", "after", "bin:view"]);
      } finally {
        ws.destroy();
      }
    }, (socket) => {
      assert.throws(() => socket.send("too early"), (e: unknown) => e instanceof DOMException && e.name === "InvalidStateError");
      socket.addEventListener("message", (event) => {
        if ((event as MessageEvent).data !== "go") return;
        socket.send(new Blob(["blob"]));
        socket.send("after");
        socket.send(new TextEncoder().encode("view"));
      });
    });
  });
});

describe("WebSocket timeouts, backpressure and shutdown", () => {
  it("pings a silent client after wsPingInterval; one that answers stays, one that does not is dropped (1006)", async () => {
    await withEcho({ wsPingInterval: 0.2, wsPingTimeout: 0.3 }, async (port, seen) => {
      const ws = await WsClient.open(port);
      const ping = await ws.frame(2000);
      assert.equal(ping.opcode, OP.ping);
      await ws.send(clientFrame(OP.pong, ping.payload));
      const second = await ws.frame(2000); // answered: pinged again later, not dropped
      assert.equal(second.opcode, OP.ping);
      assert.ok(await ws.raw.closed(3000), "dropped after the unanswered ping");
      await until(() => seen.events.some((e) => e.startsWith("close 1006") && e.endsWith("false")), "close event");
    });
  });

  it("upgradeWebSocket()'s idleTimeout overrides wsPingInterval for its socket (0: never ping)", async () => {
    const app = (request: Request): Response => {
      const idleTimeout = Number(new URL(request.url).searchParams.get("idle"));
      return upgradeWebSocket(request, { idleTimeout }).response;
    };
    const slow = await startServer(app, { wsPingInterval: 30, wsPingTimeout: 5 });
    const fast = await startServer(app, { wsPingInterval: 0.2, wsPingTimeout: 5 });
    try {
      const quick = await WsClient.open(slow.port, "/?idle=0.2");
      const started = Date.now();
      assert.equal((await quick.frame(3000)).opcode, OP.ping);
      assert.ok(Date.now() - started < 2000, "pinged after about 0.2 s, not 30");
      quick.destroy();
      const never = await WsClient.open(fast.port, "/?idle=0");
      await assert.rejects(never.frame(1000), /timed out/); // the server would ping at 0.2 s
      never.destroy();
    } finally {
      await slow.close();
      await fast.close();
    }
  });

  it("drops a client that leaves the server's close frame unanswered for wsPingTimeout", async () => {
    await withEcho({ wsPingInterval: 0, wsPingTimeout: 0.3 }, async (port, seen) => {
      const ws = await WsClient.open(port);
      await until(() => seen.sockets[0]?.readyState === 1, "open");
      seen.sockets[0].close(1000);
      assert.equal((await ws.closeFrame()).code, 1000);
      assert.ok(await ws.raw.closed(3000));
      await until(() => seen.events.some((e) => e.startsWith("close 1006")), "close event");
    });
  });

  it("a client that never reads: the server holds at most outbufHighWatermark, then drops it and serves on", async () => {
    await withEcho({ outbufHighWatermark: 1 << 20 }, async (port, seen, log) => {
      const raw = new RawClient(port);
      await raw.send(handshakeRequest(port));
      assert.equal((await raw.response()).status, 101);
      raw.socket.pause(); // never read again
      await until(() => seen.sockets[0]?.readyState === 1, "open");
      const socket = seen.sockets[0];
      const chunk = new Uint8Array(64 * 1024);
      let sent = 0;
      for (let i = 0; i < 2000 && socket.readyState === 1; i++) {
        socket.send(chunk);
        sent += chunk.length;
        if (i % 16 === 15) await sleep(5);
      }
      await until(() => seen.events.some((e) => e.startsWith("close 1006")), "dropped", 10000);
      assert.ok(sent < 2000 * chunk.length, `the server kept accepting sends (${sent} bytes)`);
      assert.ok(log.some((l) => l.includes("does not read")), log.join("\n"));
      raw.destroy();
      const again = await WsClient.open(port);
      await again.sendText("ok");
      assert.equal(textOf(await again.frame()), "ok");
      again.destroy();
    });
  });

  it("server.close() sends 1001 to open WebSockets and finishes once they answer", async () => {
    const seen: Seen = { events: [], sockets: [] };
    const server = createServer(echoApp(seen), { host: "127.0.0.1", port: 0, shutdownTimeout: 5 });
    await server.ready;
    const port = server.addresses[0].port;
    const ws = await WsClient.open(port);
    await until(() => seen.sockets[0]?.readyState === 1, "open");
    const closing = server.close();
    const frame = await ws.closeFrame();
    assert.equal(frame.code, 1001);
    await ws.send(clientFrame(OP.close, closePayload(1001)));
    const started = Date.now();
    await closing;
    assert.ok(Date.now() - started < 3000, "close() waited for the shutdown timeout");
    await until(() => seen.events.includes("close 1001  true"), "close event");
  });

  it("open WebSockets hold connection slots: at connectionLimit the warning says so, and a closed socket frees its slot", async () => {
    await withEcho({ connectionLimit: 2 }, async (port, _seen, log) => {
      const a = await WsClient.open(port);
      const b = await WsClient.open(port);
      const waiting = WsClient.open(port, "/third");
      // Logged when the second connection arrives, the first being a WebSocket already.
      await until(() => log.some((l) => l.includes("Connection limit (2) reached (1 of them open WebSockets")), "the warning", 5000);
      await a.send(clientFrame(OP.close, closePayload(1000)));
      const c = await waiting; // admitted once a slot is free
      await c.sendText("in");
      assert.equal(textOf(await c.frame()), "in");
      b.destroy();
      c.destroy();
      a.destroy();
    });
  });

  it("the 101 is in the access log and the stats", async () => {
    const records: number[] = [];
    await withEcho({}, async (port) => {
      const ws = await WsClient.open(port);
      ws.destroy();
    });
    const seen: Seen = { events: [], sockets: [] };
    const s = await startServer(echoApp(seen));
    try {
      s.server.onResponse((record) => records.push(record.status));
      const ws = await WsClient.open(s.port);
      await until(() => records.length === 1, "record");
      assert.deepEqual(records, [101]);
      assert.equal(s.server.stats().responses["1xx"], 1);
      ws.destroy();
    } finally {
      await s.close();
    }
  });
});

describe("WebSocket over TLS", { skip: HAVE_OPENSSL ? false : "the openssl command is missing (Debian package openssl)" }, () => {
  it("a TLS listener serves wss: sockets", async () => {
    const files = makeTlsFiles();
    try {
      await withEcho({ tlsCert: files.cert1, tlsKey: files.key1 }, async (port, seen) => {
        const ws = await WsClient.open(port, "/secure", {}, tlsClient(port, files.ca1));
        try {
          await ws.sendText("over tls");
          assert.equal(textOf(await ws.frame()), "over tls");
          assert.equal(seen.events[0], `open wss://127.0.0.1:${port}/secure `);
        } finally {
          ws.destroy();
        }
      });
    } finally {
      files.remove();
    }
  });
});
