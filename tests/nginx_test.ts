/**
 * Behind a real nginx: nginx (Debian package nginx-light) runs in the foreground as a child process
 * and proxies to our servers over TCP and over unix sockets, with X-Forwarded-For/Proto/Host and,
 * in other locations, RFC 7239 Forwarded. The app must see the client's address, the https scheme and
 * the public host exactly when the proxy is trusted; a prefixed location must work with urlPrefix.
 *
 * nginx connects to the TCP upstreams from 127.0.0.2 (`proxy_bind`) while the test client connects
 * to nginx from 127.0.0.1, so "the client's address" and "the proxy's address" differ: the trusted
 * servers have trustedProxy "127.0.0.2", the untrusted ones none. Unix-socket upstreams are trusted
 * with "localhost".
 *
 * Skips (with a message) where nginx is not installed. NGINX_BIN overrides /usr/sbin/nginx.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createServer, type RequestInfo, type Server, type ServeOptions } from "../mod.ts";
import { captureLog, RawClient, type CapturedLog } from "./_helpers.ts";
import { within } from "./_child.ts";
import { HAVE_NGINX, NGINX, type Nginx, nginxDir, startNginx } from "./_nginx.ts";

const SKIP = `nginx not installed (no ${NGINX}; Debian package nginx-light): reverse-proxy test skipped`;
const PROXY_ADDRESS = "127.0.0.2"; // nginx's source address towards the TCP upstreams
const PUBLIC_HOST = "public.example";

/** What the echo app returns. */
interface Echo {
  url: string;
  info: RequestInfo;
  headers: [string, string][];
}

function echo(request: Request, info: RequestInfo): Response {
  return new Response(JSON.stringify({ url: request.url, info, headers: [...request.headers] }), {
    headers: { "content-type": "application/json" },
  });
}

const XFORWARDED = [
  "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
  "proxy_set_header X-Forwarded-Proto https;",
  "proxy_set_header X-Forwarded-Host $host;",
].join(" ");
// Quoted node with the client's port, as RFC 7239 asks for a node with a port.
const FORWARDED = `proxy_set_header Forwarded 'for="$remote_addr:$remote_port";host=$host;proto=https';`;
const XFH = "x-forwarded-for x-forwarded-proto x-forwarded-host";

interface Upstreams {
  xffTrusted: number;
  untrusted: number;
  fwdTrusted: number;
  prefix: number;
  unixTrusted: string;
  unixUntrusted: string;
}

/** The `server {}` block: one location per upstream and header style. */
function nginxServer(port: number, up: Upstreams): string {
  const tcp = (p: number, headers: string) => `proxy_pass http://127.0.0.1:${p}; proxy_bind ${PROXY_ADDRESS}; ${headers}`;
  const unix = (path: string, headers: string) => `proxy_pass http://unix:${path}:; ${headers}`;
  return `  server {
    listen 127.0.0.1:${port};
    location /xff/trusted/ { ${tcp(up.xffTrusted, XFORWARDED)} }
    location /xff/untrusted/ { ${tcp(up.untrusted, XFORWARDED)} }
    location /fwd/trusted/ { ${tcp(up.fwdTrusted, FORWARDED)} }
    location /fwd/untrusted/ { ${tcp(up.untrusted, FORWARDED)} }
    location /unix/trusted/ { ${unix(up.unixTrusted, XFORWARDED)} }
    location /unix/untrusted/ { ${unix(up.unixUntrusted, XFORWARDED)} }
    location = /app { ${tcp(up.prefix, XFORWARDED)} }
    location /app/ { ${tcp(up.prefix, XFORWARDED)} }
  }`;
}

describe("behind a real nginx", () => {
  let nginx: Nginx | undefined;
  let dir = "";
  const servers: Server[] = [];
  let untrustedLog: CapturedLog | undefined;

  async function start(options: ServeOptions, log = captureLog()): Promise<Server> {
    const server = createServer(echo, { logger: log.sink, logLevel: "debug", ...options });
    servers.push(server);
    await within(server.ready, 10000, () => `starting a server with ${JSON.stringify(options)}`);
    return server;
  }

  before(async () => {
    if (!HAVE_NGINX) return;
    dir = nginxDir("waitress-nginx-");
    const tcp = { host: "127.0.0.1", port: 0 };
    const trustedXff: ServeOptions = { trustedProxy: PROXY_ADDRESS, trustedProxyHeaders: XFH };
    untrustedLog = captureLog();
    const up: Upstreams = {
      xffTrusted: (await start({ ...tcp, ...trustedXff })).addresses[0].port,
      untrusted: (await start({ ...tcp, logUntrustedProxyHeaders: true }, untrustedLog)).addresses[0].port,
      fwdTrusted: (await start({ ...tcp, trustedProxy: PROXY_ADDRESS, trustedProxyHeaders: "forwarded" })).addresses[0].port,
      prefix: (await start({ ...tcp, ...trustedXff, urlPrefix: "/app" })).addresses[0].port,
      unixTrusted: join(dir, "trusted.sock"),
      unixUntrusted: join(dir, "untrusted.sock"),
    };
    await start({ unixSocket: up.unixTrusted, trustedProxy: "localhost", trustedProxyHeaders: XFH });
    await start({ unixSocket: up.unixUntrusted });

    nginx = await startNginx(dir, (port) => nginxServer(port, up)); // removes `dir` itself if it fails
  });

  after(async () => {
    try {
      if (nginx !== undefined) await nginx.stop(); // and its directory
      else if (dir) rmSync(dir, { recursive: true, force: true });
    } finally {
      for (const server of servers) await within(server.close(), 5000, () => "closing a server").catch(() => {});
    }
  });

  /** Sends one request through nginx, with a spoofed X-Forwarded-For and Forwarded from the client. */
  async function viaNginx(path: string): Promise<{ echo: Echo; clientPort: number }> {
    const client = new RawClient(nginx!.port);
    try {
      await client.send(
        `GET ${path} HTTP/1.1\r\nHost: ${PUBLIC_HOST}\r\nX-Forwarded-For: 6.6.6.6\r\n` +
          `X-Forwarded-Proto: http\r\nConnection: close\r\n\r\n`,
      );
      const response = await client.response({ timeoutMs: 10000 });
      assert.equal(response.status, 200, `nginx answered ${response.status} for ${path}: ${response.text}\nnginx log:\n${nginx!.output()}`);
      return { echo: JSON.parse(response.text) as Echo, clientPort: client.socket.localPort! };
    } finally {
      client.destroy();
    }
  }

  const header = (e: Echo, name: string): string | undefined => e.headers.find(([n]) => n === name)?.[1];
  const proxyHeaderNames = (e: Echo): string[] =>
    e.headers.map(([n]) => n).filter((n) => n === "forwarded" || n.startsWith("x-forwarded-"));

  it("createServer() behind nginx over TCP takes the client, https and host from trusted X-Forwarded-*", async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: e } = await viaNginx("/xff/trusted/some/path?q=1");
    assert.equal(e.info.remoteAddress, "127.0.0.1", "the client's address as nginx saw it");
    assert.equal(e.info.remotePort, 0, "X-Forwarded-For carries no port");
    assert.equal(e.info.scheme, "https");
    assert.equal(e.url, `https://${PUBLIC_HOST}/xff/trusted/some/path?q=1`);
    assert.equal(header(e, "host"), PUBLIC_HOST);
    assert.equal(header(e, "x-forwarded-for"), "127.0.0.1", "the client's spoofed 6.6.6.6 is cut off (trusted suffix only)");
    assert.equal(header(e, "x-forwarded-proto"), "https");
  });

  it("createServer() behind nginx over TCP ignores and strips X-Forwarded-* from an untrusted proxy", async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: e } = await viaNginx("/xff/untrusted/some/path?q=1");
    assert.equal(e.info.remoteAddress, PROXY_ADDRESS, "the peer: nginx itself");
    assert.notEqual(e.info.remotePort, 0);
    assert.equal(e.info.scheme, "http");
    assert.match(e.url, /^http:\/\/127\.0\.0\.1:\d+\/xff\/untrusted\/some\/path\?q=1$/, "host from nginx's Host header");
    assert.deepEqual(proxyHeaderNames(e), []);
    assert.ok(untrustedLog!.lines.some((l) => l.includes("X-Forwarded-For")), `the removal is logged: ${untrustedLog!.lines.join("\n")}`);
  });

  it("createServer() behind nginx over TCP takes the client, port, https and host from a trusted Forwarded", async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: e, clientPort } = await viaNginx("/fwd/trusted/x");
    assert.equal(e.info.remoteAddress, "127.0.0.1");
    assert.equal(e.info.remotePort, clientPort, "the port nginx saw the client on");
    assert.equal(e.info.scheme, "https");
    assert.equal(e.url, `https://${PUBLIC_HOST}/fwd/trusted/x`);
    assert.equal(header(e, "forwarded"), `for="127.0.0.1:${clientPort}";host=${PUBLIC_HOST};proto=https`);
    assert.deepEqual(proxyHeaderNames(e), ["forwarded"], "X-Forwarded-* sent by the client are removed: only Forwarded is trusted");
  });

  it("createServer() behind nginx over TCP ignores and strips Forwarded from an untrusted proxy", async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: e } = await viaNginx("/fwd/untrusted/x");
    assert.equal(e.info.remoteAddress, PROXY_ADDRESS);
    assert.equal(e.info.scheme, "http");
    assert.match(e.url, /^http:\/\/127\.0\.0\.1:\d+\/fwd\/untrusted\/x$/);
    assert.deepEqual(proxyHeaderNames(e), []);
  });

  it('createServer() behind nginx over a unix socket trusts X-Forwarded-* with trustedProxy "localhost"', async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: e } = await viaNginx("/unix/trusted/y");
    assert.equal(e.info.remoteAddress, "127.0.0.1");
    assert.equal(e.info.scheme, "https");
    assert.equal(e.url, `https://${PUBLIC_HOST}/unix/trusted/y`);
    assert.equal(header(e, "x-forwarded-for"), "127.0.0.1");
  });

  it("createServer() behind nginx over a unix socket ignores X-Forwarded-* without trustedProxy", async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: e } = await viaNginx("/unix/untrusted/y");
    assert.equal(e.info.remoteAddress, "", "a unix-socket peer has no address");
    assert.equal(e.info.scheme, "http");
    assert.equal(e.url, "http://localhost/unix/untrusted/y", "nginx sends Host: localhost to a unix upstream");
    assert.deepEqual(proxyHeaderNames(e), []);
  });

  it("createServer() behind nginx splits a prefixed location by urlPrefix and keeps the external URL", async (t) => {
    if (!HAVE_NGINX) return t.skip(SKIP);
    const { echo: below } = await viaNginx("/app/users/7?x=1");
    assert.equal(below.info.scriptName, "/app");
    assert.equal(below.info.pathInfo, "/users/7");
    assert.equal(below.url, `https://${PUBLIC_HOST}/app/users/7?x=1`, "request.url is the full external URL");
    assert.equal(below.info.remoteAddress, "127.0.0.1");

    const { echo: root } = await viaNginx("/app/");
    assert.equal(root.info.scriptName, "/app");
    assert.equal(root.info.pathInfo, "/");

    const { echo: exact } = await viaNginx("/app");
    assert.equal(exact.info.scriptName, "/app");
    assert.equal(exact.info.pathInfo, "", "an exact match leaves an empty pathInfo (Waitress)");
    assert.equal(exact.url, `https://${PUBLIC_HOST}/app`);
  });
});
