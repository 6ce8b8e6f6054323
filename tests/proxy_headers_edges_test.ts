/**
 * Proxy headers, the less common shapes: names that look like proxy headers but are not, client
 * nodes with odd ports, an empty X-Forwarded-Port, bad quoting (all on the wire, from a trusted
 * peer), and, called directly, trustedProxy entries that are not addresses, quoted values with
 * characters no request can carry, and the log line for a unix-socket peer.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { applyProxyHeaders, parseTrustedProxy, type ProxyConfig } from "../src/policy/proxy_headers.ts";
import { RawClient, startServer, type TestServer } from "./_helpers.ts";
import type { RequestInfo } from "../mod.ts";

/** What the app saw, as the test server's app reports it. */
interface Seen {
  remoteAddress: string;
  remotePort: number;
  url: string;
  headers: Record<string, string>;
}

describe("proxy headers on the wire, from a trusted peer", () => {
  let s: TestServer;
  let client: RawClient;
  before(async () => {
    s = await startServer((request: Request, info: RequestInfo) => Response.json({
      remoteAddress: info.remoteAddress, remotePort: info.remotePort, url: request.url,
      headers: Object.fromEntries(request.headers),
    }), {
      trustedProxy: "127.0.0.1", trustedProxyHeaders: "x-forwarded-for x-forwarded-host x-forwarded-proto x-forwarded-port",
    });
    client = new RawClient(s.port);
  });
  after(async () => {
    client.destroy();
    await s.close();
  });

  /** Sends one request with `fields` on the kept-alive connection; returns what the app saw, or the status. */
  async function send(fields: string): Promise<Seen | number> {
    await client.send(`GET /p HTTP/1.1\r\nHost: backend:8080\r\n${fields}\r\n`);
    const response = await client.response();
    if (response.status !== 200) {
      assert.equal(response.header("connection"), "close");
      client.destroy();
      client = new RawClient(s.port);
      return response.status;
    }
    return JSON.parse(response.text) as Seen;
  }
  const seen = async (fields: string): Promise<Seen> => {
    const r = await send(fields);
    assert.equal(typeof r, "object", `status ${r}`);
    return r as Seen;
  };

  it("passes on headers that only look like proxy headers (X-Real-IP, X-Forwarded-Ssl) and drops untrusted X-Forwarded-By", async () => {
    const r = await seen("X-Real-IP: 6.6.6.6\r\nX-Forwarded-Ssl: on\r\nX-Forwarded-By: 10.0.0.1\r\nX-Forwarded-Server: a\r\n");
    assert.equal(r.headers["x-real-ip"], "6.6.6.6");
    assert.equal(r.headers["x-forwarded-ssl"], "on");
    assert.equal(r.headers["x-forwarded-server"], "a");
    assert.equal(r.headers["x-forwarded-by"], undefined);
    assert.equal(r.remoteAddress, "127.0.0.1");
  });

  it("takes the client address from X-Forwarded-For and its port only when it is 0-65535 digits", async () => {
    const cases: [string, string, number][] = [
      ["[2001:db8::1]:8443", "2001:db8::1", 8443],
      ["[2001:db8::1]", "2001:db8::1", 0],
      ["[2001:db8::1]:", "2001:db8::1", 0],
      ["[2001:db8::1]:http", "2001:db8::1", 0],
      ["[2001:db8::1]x", "[2001:db8::1]x", 0],
      ["2001:db8::1", "2001:db8::1", 0],
      ["192.0.2.1:123456", "192.0.2.1", 0],
      ["192.0.2.1:65536", "192.0.2.1", 0],
      ["192.0.2.1:65535", "192.0.2.1", 65535],
      ["_hidden:_port", "_hidden", 0],
    ];
    for (const [node, address, port] of cases) {
      const r = await seen(`X-Forwarded-For: ${node}\r\n`);
      assert.deepEqual([r.remoteAddress, r.remotePort], [address, port], node);
    }
  });

  it("treats an empty X-Forwarded-Port as absent: the proto's default port applies", async () => {
    for (const empty of ["", '""']) {
      const r = await seen(`X-Forwarded-Proto: https\r\nX-Forwarded-Host: example.com\r\nX-Forwarded-Port: ${empty}\r\n`);
      assert.equal(r.url, "https://example.com/p", JSON.stringify(empty));
      assert.equal(r.headers.host, "example.com");
    }
    const r = await seen('X-Forwarded-Host: example.com\r\nX-Forwarded-Port: "8080"\r\n');
    assert.equal(r.url, "http://example.com:8080/p");
  });

  it("answers 400 for a quoted value with a quote inside, and accepts an empty quoted one", async () => {
    assert.equal(await send('X-Forwarded-For: "a"b"\r\n'), 400);
    assert.equal(await send('X-Forwarded-Proto: "ht"tp"\r\n'), 400);
    const r = await seen('X-Forwarded-For: ""\r\n');
    assert.equal(r.remoteAddress, "127.0.0.1", "an empty client node keeps the peer");
    assert.equal((await seen('X-Forwarded-For: "192.0.2.9"\r\n')).remoteAddress, "192.0.2.9");
  });
});

describe("applyProxyHeaders() and parseTrustedProxy() called directly", () => {
  const config = (trusted: string, headers: string[]): ProxyConfig => ({
    trusted: parseTrustedProxy(trusted), count: 1, headers: new Set(headers), clearUntrusted: true, logUntrusted: false,
  });

  it("applyProxyHeaders() rejects quoted values holding characters no request can carry (controls, above 0xff)", () => {
    for (const value of ['"a\x01"', '"a\\\x01"', '"\u0100"', '"a\\\u0100"']) {
      const outcome = applyProxyHeaders({ peerAddress: "127.0.0.1", peerPort: 1, unix: false, scheme: "http",
        headers: ["x-forwarded-for", value] }, config("127.0.0.1", ["x-forwarded-for"]));
      assert.ok("error" in outcome, JSON.stringify(value));
      assert.match(outcome.log, /Invalid quoting in value/);
    }
  });

  it("applyProxyHeaders() names a unix-socket peer localhost in the log line of a malformed header", () => {
    const outcome = applyProxyHeaders({ peerAddress: "", peerPort: 0, unix: true, scheme: "http",
      headers: ["x-forwarded-proto", "gopher"] }, config("localhost", ["x-forwarded-proto"]));
    assert.ok("error" in outcome);
    assert.equal(outcome.log, 'Malformed proxy header "X-Forwarded-Proto" from "localhost": unsupported proto value value: "gopher"');
  });

  it("applyProxyHeaders() finds a forwarded IPv6 host that is no address malformed (it passed, then failed as 'Bad URI')", () => {
    for (const host of ["[1::2::3]", "[:::]", "[12345::1]", "[::1.2.3]", "[1.2.3.4::]:8080"]) {
      for (const [name, value, display] of [["x-forwarded-host", host, "X-Forwarded-Host"], ["forwarded", `host="${host}"`, "Forwarded"]]) {
        const outcome = applyProxyHeaders({ peerAddress: "127.0.0.1", peerPort: 1, unix: false, scheme: "http",
          headers: ["host", "backend", name!, value!] }, config("127.0.0.1", [name!]));
        assert.ok("error" in outcome, `${name}: ${value}`);
        assert.equal(outcome.error, `Header "${display}" malformed.`);
        assert.match(outcome.log, /not a valid host/);
      }
    }
    const outcome = applyProxyHeaders({ peerAddress: "127.0.0.1", peerPort: 1, unix: false, scheme: "http",
      headers: ["host", "backend", "x-forwarded-host", "[2001:db8::1]:8443"] }, config("127.0.0.1", ["x-forwarded-host"]));
    assert.ok(!("error" in outcome));
    assert.equal(outcome.host, "[2001:db8::1]:8443");
  });

  it("parseTrustedProxy() takes the prefix lengths the trustedProxy setting takes: no leading zeros", () => {
    for (const bad of ["10.0.0.0/08", "fd00::/008", "10.0.0.0/", "[::1]/1x"]) {
      assert.throws(() => parseTrustedProxy(bad), (e: unknown) => e instanceof TypeError && e.message.includes(JSON.stringify(bad)));
    }
    const trusted = parseTrustedProxy("10.0.0.0/0 [fd00::]/8");
    assert.equal(trusted("203.0.113.9", false), true);
    assert.equal(trusted("fdff::1", false), true, "brackets around an address with a prefix, as before");
    assert.equal(trusted("fe00::1", false), false);
  });

  it("parseTrustedProxy() skips empty entries from leading and trailing separators", () => {
    const trusted = parseTrustedProxy(" ,127.0.0.1, ");
    assert.equal(trusted("127.0.0.1", false), true);
    assert.equal(trusted("127.0.0.2", false), false);
  });

  const notAddresses = [
    "010.0.0.1", "1.2.3.+4", "fe80::g1", "::ffff:1.2.3", "::ffff:1.2.3.04", "1:2:3:4:5:6:7:89abc", "1:2:3:4:5:6:7::8",
    "12345::1", "1::12345", "1:2:3", "1:2:3:4:5:6:7:8:9",
  ];
  for (const bad of notAddresses) {
    it(`parseTrustedProxy() throws a TypeError naming ${JSON.stringify(bad)}, which is not an address`, () => {
      assert.throws(() => parseTrustedProxy(bad), (e: unknown) => e instanceof TypeError && e.message.includes(JSON.stringify(bad)));
    });
  }

  it("parseTrustedProxy() matches IPv6 forms with an embedded IPv4 part and a zone", () => {
    const trusted = parseTrustedProxy("::ffff:192.0.2.0/120 fe80::1%eth0");
    assert.equal(trusted("::ffff:192.0.2.77", false), true);
    assert.equal(trusted("192.0.2.78", false), true);
    assert.equal(trusted("fe80::1%lo", false), true);
    assert.equal(trusted("::ffff:192.0.3.1", false), false);
    assert.equal(trusted("1:2:3", false), false);
  });
});
