/**
 * Settings that reach their effect: `serverName` is what the app sees as `info.serverName` (never the
 * client's Host header; a trusted proxy's forwarded host wins). `sockets` has its own file,
 * tests/socket_activation_test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RequestInfo } from "../mod.ts";
import { exchange, startServer } from "./_helpers.ts";

const echoServerName = (_request: Request, info: RequestInfo) => new Response(info.serverName);

describe("serverName", () => {
  it("is the serverName setting, whatever Host the client sends", async () => {
    const s = await startServer(echoServerName, { serverName: "app.example" });
    try {
      const { response } = await exchange(s.port, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "app.example");
    } finally {
      await s.close();
    }
  });

  it("defaults to waitress.invalid, as in Waitress", async () => {
    const s = await startServer(echoServerName);
    try {
      const { response } = await exchange(s.port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal(response.text, "waitress.invalid");
    } finally {
      await s.close();
    }
  });

  it("is the host a trusted proxy forwarded, without its port", async () => {
    const s = await startServer(echoServerName, { serverName: "app.example", trustedProxy: "127.0.0.1", trustedProxyHeaders: ["x-forwarded-host"] });
    try {
      const forwarded = await exchange(s.port, "GET / HTTP/1.1\r\nHost: backend\r\nX-Forwarded-Host: www.example.com:8443\r\nConnection: close\r\n\r\n");
      assert.equal(forwarded.response.text, "www.example.com");
      const ipv6 = await exchange(s.port, "GET / HTTP/1.1\r\nHost: backend\r\nX-Forwarded-Host: [2001:db8::1]:8443\r\nConnection: close\r\n\r\n");
      assert.equal(ipv6.response.text, "[2001:db8::1]");
      const plain = await exchange(s.port, "GET / HTTP/1.1\r\nHost: backend\r\nX-Forwarded-Host: www.example.com\r\nConnection: close\r\n\r\n");
      assert.equal(plain.response.text, "www.example.com");
    } finally {
      await s.close();
    }
  });
});

describe("settings that only exist for Waitress compatibility", () => {
  for (const [name, value] of [["recvBytes", 4096], ["channelRequestLookahead", 5]] as const) {
    it(`${name}: accepted, and setting it logs that it has no effect`, async () => {
      const s = await startServer(() => new Response("x"), { [name]: value });
      try {
        assert.ok(s.log.lines.some((l) => l.includes(`"${name}" has no effect`) || l.includes(`${name} has no effect`)), s.log.lines.join("\n"));
      } finally {
        await s.close();
      }
    });
  }
});
