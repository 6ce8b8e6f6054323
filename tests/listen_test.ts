/**
 * Listeners on every runtime: several TCP listeners, IPv6 loopback, port 0, unix sockets with
 * permissions, stale and live socket files.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as net from "node:net";
import { createServer } from "../mod.ts";
import { captureLog, exchange, RawClient } from "./_helpers.ts";

const hello = (_request: Request, info: { remoteAddress: string; localPort: number }) =>
  new Response(`hello ${info.remoteAddress} ${info.localPort}`);

async function get(port: number, host: string): Promise<string> {
  const client = new RawClient(port, host);
  try {
    await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    return (await client.response()).text;
  } finally {
    client.destroy();
  }
}

function canBindIpv6(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen({ host: "::1", port: 0 }, () => s.close(() => resolve(true)));
  });
}

describe("TCP listeners", () => {
  it("serves two IPv4 listeners and an IPv6 loopback listener from one server, each with a real port", async (t) => {
    const ipv6 = await canBindIpv6();
    const log = captureLog();
    const listen = ipv6 ? "127.0.0.1:0 127.0.0.1:0 [::1]:0" : "127.0.0.1:0 127.0.0.1:0";
    const server = createServer(hello, { listen, logger: log.sink, logLevel: "info" });
    await server.ready;
    try {
      const addresses = server.addresses;
      assert.equal(addresses.length, ipv6 ? 3 : 2);
      assert.ok(addresses.every((a) => a.port > 0));
      assert.notEqual(addresses[0].port, addresses[1].port);
      assert.equal(await get(addresses[0].port, "127.0.0.1"), `hello 127.0.0.1 ${addresses[0].port}`);
      assert.equal(await get(addresses[1].port, "127.0.0.1"), `hello 127.0.0.1 ${addresses[1].port}`);
      if (ipv6) {
        assert.equal(addresses[2].hostname, "::1");
        assert.equal(await get(addresses[2].port, "::1"), `hello ::1 ${addresses[2].port}`);
        assert.ok(log.lines.some((l) => l.includes(`Serving on http://[::1]:${addresses[2].port}`)));
      } else {
        t.diagnostic("IPv6 loopback unavailable here: IPv6 part skipped");
      }
      assert.equal(log.lines.filter((l) => l.includes("Serving on http://")).length, addresses.length, "one Serving on line per listener");
    } finally {
      await server.close();
    }
  });

  it("listens on every IPv4 address for host * and on what a host name resolves to", async () => {
    const any = createServer(hello, { listen: "*:0", ipv6: false, logger: captureLog().sink });
    await any.ready;
    try {
      assert.deepEqual(any.addresses.map((a) => a.hostname), ["0.0.0.0"]);
      assert.equal(await get(any.addresses[0].port, "127.0.0.1"), `hello 127.0.0.1 ${any.addresses[0].port}`);
    } finally {
      await any.close();
    }
    const named = createServer(hello, { listen: "localhost:0", ipv6: false, logger: captureLog().sink });
    await named.ready;
    try {
      assert.deepEqual(named.addresses.map((a) => a.hostname), ["127.0.0.1"], "localhost's IPv4 address");
      assert.equal(await get(named.addresses[0].port, "127.0.0.1"), `hello 127.0.0.1 ${named.addresses[0].port}`);
    } finally {
      await named.close();
    }
  });

  it("rejects ready when the port is taken, with the address in the error", async () => {
    const first = createServer(hello, { host: "127.0.0.1", port: 0, logger: captureLog().sink });
    await first.ready;
    try {
      const port = first.addresses[0].port;
      const second = createServer(hello, { host: "127.0.0.1", port, logger: captureLog().sink });
      await assert.rejects(second.ready);
      await second.close();
    } finally {
      await first.close();
    }
  });
});

describe("unix sockets", () => {
  it("serves on a unix socket with the configured permissions", async () => {
    const dir = mkdtempSync(join(tmpdir(), "waitress-unix-"));
    const path = join(dir, "app.sock");
    const log = captureLog();
    const server = createServer(hello, { unixSocket: path, unixSocketPerms: 0o660, logger: log.sink, logLevel: "info" });
    try {
      await server.ready;
      assert.equal(statSync(path).mode & 0o777, 0o660);
      assert.deepEqual(server.addresses, [{ transport: "unix", hostname: path, port: 0 }]);
      assert.ok(log.lines.some((l) => l.includes(`Serving on unix:${path}`)));
      const client = new RawClient(0, "", path);
      try {
        await client.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        const response = await client.response();
        assert.equal(response.status, 200);
        assert.equal(response.text, "hello  0");
      } finally {
        client.destroy();
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("replaces a stale socket file and refuses a live one or a regular file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "waitress-unix-"));
    const path = join(dir, "app.sock");
    try {
      // A stale socket: bound once, then its server went away without unlinking.
      const first = createServer(hello, { unixSocket: path, logger: captureLog().sink });
      await first.ready;
      const live = createServer(hello, { unixSocket: path, logger: captureLog().sink });
      await assert.rejects(live.ready, /another server is listening/);
      await first.close();
      const again = createServer(hello, { unixSocket: path, logger: captureLog().sink });
      await again.ready;
      await again.close();
      const file = join(dir, "file");
      writeFileSync(file, "x");
      const blocked = createServer(hello, { unixSocket: file, logger: captureLog().sink });
      await assert.rejects(blocked.ready, /not a socket/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("exchange helper", () => {
  it("refuses when nothing listens", async () => {
    await assert.rejects(exchange(1, "GET / HTTP/1.1\r\n\r\n"));
  });
});
