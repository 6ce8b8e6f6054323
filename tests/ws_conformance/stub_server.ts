/**
 * A WebSocket server stub that only does the opening handshake and then misbehaves on purpose, to check
 * that the conformance client grades what it sees (tests/ws_conformance_test.ts): "silent" says nothing
 * more, "drop" closes TCP at once, "bad-accept" answers the handshake with a wrong Sec-WebSocket-Accept.
 *
 * @module
 */
import * as net from "node:net";

/** How the stub misbehaves after the handshake. */
export type StubBehaviour = "silent" | "drop" | "bad-accept";

/** A running stub: its port, and close(). */
export interface Stub {
  port: number;
  close(): Promise<void>;
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * Starts a stub on 127.0.0.1 (an ephemeral port).
 *
 * @example
 * ```ts ignore
 * const stub = await startStub("silent");
 * const result = await runCase({ port: stub.port, limit: null }, CASES[0]!, 300); // FAILED
 * await stub.close();
 * ```
 */
export async function startStub(behaviour: StubBehaviour): Promise<Stub> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    const onData = async (chunk: Uint8Array) => {
      for (const byte of chunk) head += String.fromCharCode(byte);
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      const key = /\r\nsec-websocket-key:\s*(\S+)/i.exec(head)?.[1] ?? "";
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(key + (behaviour === "bad-accept" ? "x" : GUID))));
      const accept = btoa(String.fromCharCode(...digest));
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      if (behaviour === "drop") socket.end();
      socket.on("data", () => {});
    };
    socket.on("data", onData);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
