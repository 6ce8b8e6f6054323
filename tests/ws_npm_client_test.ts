/**
 * Our WebSocket server against a client nobody here wrote: the npm `ws` package's client (a
 * devDependency; on Deno from npm, on Bun the package itself, not Bun's WebSocket). Text and binary
 * echo, fragmented messages (`send(data, { fin: false })`), ping/pong, subprotocol selection, the
 * close handshake started by either side with its code and reason, a message over wsMaxMessageSize
 * (close 1009), and 200 clients at once echoing 10 messages each. Our server runs in-process
 * (startServer) with the echo handler of tests/_ws_echo.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { until } from "./_helpers.ts";
import { type EchoServer, reference, startEcho } from "./_ws_echo.ts";

const LIMIT = 64 * 1024;

/** One message as the ws client delivers it: its data (a Buffer) and whether it was binary. */
interface Message {
  data: Uint8Array;
  binary: boolean;
}

/** A ws client that queues what it receives, with `next()` to await the next message. */
interface Client {
  ws: WebSocket;
  next(): Promise<Message>;
  closed: Promise<{ code: number; reason: string }>;
}

async function connect(port: number, protocols: string[] = [], path = "/ws"): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, { perMessageDeflate: false, maxPayload: 8 * 1024 * 1024 });
  const queue: Message[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data: Uint8Array, binary: boolean) => {
    queue.push({ data, binary });
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code: number, reason: Uint8Array) => resolve({ code, reason: new TextDecoder().decode(reason) }));
  });
  ws.on("error", () => {}); // a failed handshake also closes: the tests look at `closed`
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("close", (code: number) => reject(new Error(`closed (${code}) before open`)));
  });
  const next = async (): Promise<Message> => {
    const deadline = Date.now() + 10000;
    while (queue.length === 0) {
      if (Date.now() > deadline) throw new Error("no message within 10 s");
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return queue.shift()!;
  };
  return { ws, next, closed };
}

const text = (m: Message): string => new TextDecoder().decode(m.data);
const pattern = (n: number, seed = 7): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("npm ws client against our server", () => {
  let server: EchoServer;
  const open: Client[] = [];
  const client = async (protocols: string[] = [], path = "/ws"): Promise<Client> => {
    const c = await connect(server.port, protocols, path);
    open.push(c);
    return c;
  };

  before(async () => {
    // connectionLimit (default 100, as Waitress) counts open WebSockets too: the 200-client case needs more.
    server = await startEcho(undefined, { wsMaxMessageSize: LIMIT, connectionLimit: 1000 });
  });

  after(async () => {
    for (const c of open) c.ws.terminate();
    await server?.close();
  });

  it("echoes text (ASCII, non-ASCII, empty) as text and binary byte for byte as binary", async () => {
    const c = await client();
    for (const t of ["hello", "héllo wörld ✓ 日本語 🎉", ""]) {
      c.ws.send(t);
      const m = await c.next();
      assert.deepEqual([m.binary, text(m)], [false, t]);
    }
    for (const size of [0, 1, 125, 126, 65535, 65536 - 1024]) {
      const b = pattern(size);
      c.ws.send(b);
      const m = await c.next();
      assert.equal(m.binary, true, `${size} bytes come back binary`);
      assert.deepEqual(new Uint8Array(m.data), b, `${size} bytes echoed exactly`);
    }
  });

  it("echoes binary when the server's socket keeps binaryType \"blob\" (receives a Blob, sends the Blob)", async () => {
    const c = await client([], "/ws?binaryType=blob");
    const b = pattern(3000, 3);
    c.ws.send(b);
    const m = await c.next();
    assert.equal(m.binary, true);
    assert.deepEqual(new Uint8Array(m.data), b);
  });

  it("reassembles fragmented messages (fin: false), text across a split UTF-8 character and binary", async () => {
    const c = await client();
    const utf8 = new TextEncoder().encode("frag-é-ment ✓");
    c.ws.send(utf8.subarray(0, 6), { binary: false, fin: false }); // "frag-" and the first byte of "é"
    c.ws.send(utf8.subarray(6, 12), { binary: false, fin: false });
    c.ws.send(utf8.subarray(12), { binary: false, fin: true });
    const m = await c.next();
    assert.deepEqual([m.binary, text(m)], [false, "frag-é-ment ✓"]);
    const parts = [pattern(1000, 1), pattern(20000, 2), pattern(1, 3)];
    parts.forEach((p, i) => c.ws.send(p, { binary: true, fin: i === parts.length - 1 }));
    const b = await c.next();
    assert.equal(b.binary, true);
    assert.deepEqual(new Uint8Array(b.data), Uint8Array.from(parts.flatMap((p) => [...p])));
  });

  it("answers a ping with a pong carrying the same data, also between the fragments of a message", async () => {
    const c = await client();
    const pong = new Promise<string>((resolve) => c.ws.once("pong", (data: Uint8Array) => resolve(new TextDecoder().decode(data))));
    c.ws.ping("are you there");
    assert.equal(await pong, "are you there");
    const second = new Promise<string>((resolve) => c.ws.once("pong", (data: Uint8Array) => resolve(new TextDecoder().decode(data))));
    c.ws.send("one ", { fin: false });
    c.ws.ping("mid-message");
    c.ws.send("message", { fin: true });
    assert.equal(await second, "mid-message");
    assert.equal(text(await c.next()), "one message");
  });

  // Deno.upgradeWebSocket splits Sec-WebSocket-Protocol on ", " only, and ws sends "chat,superchat".
  const denoSplit = reference ? "Deno.upgradeWebSocket rejects a protocol from a list without spaces (ws sends \"a,b\")" : false;
  it("selects the subprotocol the server prefers among those offered, and none when none is offered", { skip: denoSplit }, async () => {
    const both = await client(["chat", "superchat"]);
    assert.equal(both.ws.protocol, "superchat");
    const one = await client(["nope", "chat"]);
    assert.equal(one.ws.protocol, "chat");
    const none = await client();
    assert.equal(none.ws.protocol, "");
    await until(() => server.log.protocols.length >= 3, "the three opens");
    assert.deepEqual(server.log.protocols.slice(-3), ["superchat", "chat", ""], "socket.protocol on our side");
  });

  it("closes at the client's request: the code and reason reach the server, which answers with the same code", async () => {
    const c = await client();
    const before = server.log.closes.length;
    c.ws.close(4001, "client bye ✓");
    assert.equal((await c.closed).code, 4001, "the server's close frame echoes the code (RFC 6455 5.5.1; its reason is the server's choice)");
    await until(() => server.log.closes.length > before, "our server's close event");
    assert.deepEqual(server.log.closes.at(-1), { code: 4001, reason: "client bye ✓", wasClean: true });
  });

  it("closes at the server's request: the client gets the server's code and reason", async () => {
    const c = await client();
    const before = server.log.closes.length;
    c.ws.send("cmd:close 4002 server bye ✓");
    assert.deepEqual(await c.closed, { code: 4002, reason: "server bye ✓" });
    await until(() => server.log.closes.length > before, "our server's close event");
    assert.equal(server.log.closes.at(-1)!.code, 4002);
    assert.equal(server.log.closes.at(-1)!.wasClean, true);
  });

  it("closes with 1009 a message over wsMaxMessageSize, whole or in fragments", { skip: reference ? "Deno.upgradeWebSocket has no message size setting" : false }, async () => {
    const whole = await client();
    whole.ws.send(pattern(LIMIT, 1)); // exactly the limit: fine
    assert.equal((await whole.next()).data.length, LIMIT);
    whole.ws.send(pattern(LIMIT + 1, 1));
    assert.equal((await whole.closed).code, 1009);
    const fragments = await client();
    fragments.ws.send(pattern(LIMIT / 2, 1), { fin: false });
    fragments.ws.send(pattern(LIMIT / 2, 2), { fin: false });
    fragments.ws.send(pattern(1, 3), { fin: true });
    assert.equal((await fragments.closed).code, 1009);
  });

  it("serves 200 clients at once, each echoing 10 messages in order", async () => {
    const before = server.log.opened;
    const clients = await Promise.all(Array.from({ length: 200 }, () => client()));
    await Promise.all(clients.map(async (c, i) => {
      for (let j = 0; j < 10; j++) {
        const body = j % 2 ? `client ${i} message ${j}` : pattern(100 + i + j, i);
        c.ws.send(body);
        const m = await c.next();
        if (typeof body === "string") assert.deepEqual([m.binary, text(m)], [false, body]);
        else assert.deepEqual([m.binary, new Uint8Array(m.data)], [true, body]);
      }
    }));
    assert.equal(server.log.opened - before, 200);
    const closing = clients.map((c) => c.closed);
    for (const c of clients) c.ws.close(1000);
    const codes = await Promise.all(closing);
    assert.ok(codes.every((c) => c.code === 1000), "every client closed cleanly with 1000");
  });
});
