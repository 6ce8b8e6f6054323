/**
 * HTTPS (issue 17) over real sockets on 127.0.0.1, on every runtime: certificates made with the
 * `openssl` command at test time (tests/_tls.ts), clients `node:tls` and `curl --cacert`. Requests on
 * a TLS listener are `https` (URL and `info.scheme`) unless a trusted proxy says otherwise; a plain
 * HTTP request or a silent client on the TLS port is closed, never left hanging; a certificate that
 * is missing, expired, or whose key does not match fails `server.ready` with a message naming the
 * setting; `reloadTls()` serves a new certificate to new connections while open ones go on.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createServer, type RequestInfo, type ServeOptions } from "../mod.ts";
import { captureLog, RawClient, runtime, startServer, until } from "./_helpers.ts";
import { spawnChild, within } from "./_child.ts";
import { HAVE_CURL, HAVE_OPENSSL, makeTlsFiles, tlsClient, tlsGet, type TlsFiles } from "./_tls.ts";

const NO_OPENSSL = HAVE_OPENSSL ? false : "the openssl command is missing (Debian package openssl): TLS tests skipped";

/** Answers the request's URL and info.scheme as JSON. */
const echo = (request: Request, info: RequestInfo) => Response.json({ url: request.url, scheme: info.scheme });

describe("HTTPS", { skip: NO_OPENSSL }, () => {
  let files: TlsFiles;
  before(() => {
    files = makeTlsFiles();
  });
  after(() => files?.remove());

  it("serves node:tls clients: URL and info.scheme are https, keep-alive works, ALPN is http/1.1", async () => {
    const s = await startServer(echo, { tlsCert: files.cert1, tlsKey: files.key1 });
    try {
      assert.ok(s.log.lines.some((l) => l.includes(`Serving on https://127.0.0.1:${s.port}`)), s.log.lines.join("\n"));
      const client = tlsClient(s.port, files.ca1);
      try {
        for (const path of ["/a?x=1", "/b"]) {
          await client.send(`GET ${path} HTTP/1.1\r\nHost: localhost:${s.port}\r\n\r\n`);
          const response = await client.response();
          assert.equal(response.status, 200);
          assert.deepEqual(JSON.parse(response.text), { url: `https://localhost:${s.port}${path}`, scheme: "https" });
        }
        const alpn = (client.socket as unknown as { alpnProtocol?: string | false }).alpnProtocol;
        assert.equal(alpn, "http/1.1");
      } finally {
        client.destroy();
      }
    } finally {
      await s.close();
    }
  });

  it("serves curl --cacert", { skip: HAVE_CURL ? false : "curl is missing (Debian package curl)" }, async () => {
    const s = await startServer(echo, { tlsCert: files.cert1, tlsKey: files.key1 });
    try {
      const c = spawnChild("curl", ["-sS", "--cacert", files.ca1, `https://127.0.0.1:${s.port}/curl`], { cwd: files.dir });
      const { code } = await within(c.exit, 10000, () => `waiting for curl: ${c.output()}`);
      assert.equal(code, 0, c.output());
      assert.deepEqual(JSON.parse(c.output()), { url: `https://127.0.0.1:${s.port}/curl`, scheme: "https" });
    } finally {
      await s.close();
    }
  });

  it("takes PEM text and bytes in serve(), and tlsCa sends the intermediate certificate", async () => {
    const text = await startServer(echo, { tlsCert: files.read(files.cert1), tlsKey: files.read(files.key1) });
    try {
      assert.equal(JSON.parse(await tlsGet(text.port, files.ca1)).scheme, "https");
    } finally {
      await text.close();
    }
    const bytes = await startServer(echo, { tlsCert: readFileSync(files.cert3), tlsKey: new Uint8Array(readFileSync(files.key3)), tlsCa: files.inter });
    try {
      assert.equal(JSON.parse(await tlsGet(bytes.port, files.ca1)).scheme, "https");
    } finally {
      await bytes.close();
    }
    // Without the intermediate, a client that trusts the root only cannot verify the chain.
    const alone = await startServer(echo, { tlsCert: files.cert3, tlsKey: files.key3 });
    try {
      await assert.rejects(tlsGet(alone.port, files.ca1));
    } finally {
      await alone.close();
    }
  });

  it("a trusted proxy's X-Forwarded-Proto still wins over the listener's https", async () => {
    const s = await startServer(echo, { tlsCert: files.cert1, tlsKey: files.key1, trustedProxy: "127.0.0.1", trustedProxyHeaders: "x-forwarded-proto" });
    try {
      const client = tlsClient(s.port, files.ca1);
      try {
        await client.send(`GET / HTTP/1.1\r\nHost: localhost\r\nX-Forwarded-Proto: http\r\nConnection: close\r\n\r\n`);
        assert.deepEqual(JSON.parse((await client.response()).text), { url: "http://localhost/", scheme: "http" });
      } finally {
        client.destroy();
      }
    } finally {
      await s.close();
    }
  });

  it("a plain HTTP request on the TLS port is closed at once, and logged as routine", async () => {
    const s = await startServer(echo, { tlsCert: files.cert1, tlsKey: files.key1 });
    try {
      const client = new RawClient(s.port);
      const started = Date.now();
      await client.send(`GET / HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      assert.equal(await client.closed(3000), true, "closed");
      assert.ok(Date.now() - started < 3000);
      const pending = client.pending;
      // Nothing, a TLS alert, or a 400: never an HTTP answer to the request.
      assert.ok(pending === "" || !pending.startsWith("HTTP/1.1 200"), pending);
      client.destroy();
      await until(() => s.server.stats().connections === 0, "the connection is gone");
      assert.ok(!s.log.lines.some((l) => /WARNING/.test(l)), s.log.lines.join("\n"));
    } finally {
      await s.close();
    }
  });

  it("a client that never completes the handshake counts from accept and is closed at headerTimeout", async () => {
    const s = await startServer(echo, { tlsCert: files.cert1, tlsKey: files.key1, headerTimeout: 0.5, cleanupInterval: 0.1 });
    try {
      const client = new RawClient(s.port);
      await client.send(new Uint8Array(0));
      // The core holds it from accept, handshake or not.
      await until(() => s.server.stats().connections === 1, "the silent connection is counted", 2000);
      const started = Date.now();
      await until(() => s.server.stats().connections === 0, "the core closed it at the header timeout", 4000);
      if (runtime === "deno") {
        // Documented (README "HTTPS"): Deno keeps the TCP socket of a TLS connection closed before its
        // handshake open until the client sends a byte or leaves; the server no longer counts it.
        assert.equal(await client.closed(300), false, "Deno still holds the socket");
      } else {
        assert.equal(await client.closed(4000), true, "closed by the header timeout");
        assert.ok(Date.now() - started < 4000);
      }
      client.destroy();
    } finally {
      await s.close();
    }
  });

  it("at the connection limit, a client silent before its handshake is reclaimed for a TLS client with a request", async () => {
    const s = await startServer(echo, { tlsCert: files.cert1, tlsKey: files.key1, connectionLimit: 1, reclaimTimeout: 0.2 });
    try {
      const silent = new RawClient(s.port);
      await silent.send(new Uint8Array(0));
      await until(() => s.server.stats().connections === 1, "the silent connection takes the slot", 2000);
      const started = Date.now();
      assert.equal(JSON.parse(await tlsGet(s.port, files.ca1, "/waited")).url, `https://localhost:${s.port}/waited`);
      assert.ok(Date.now() - started < 3000, "admitted once the silent one was reclaimed");
      silent.destroy();
    } finally {
      await s.close();
    }
  });

  it("large bodies both ways keep their bytes (backpressure over TLS)", async () => {
    const s = await startServer(async (request) => {
      const body = new Uint8Array(await request.arrayBuffer());
      let sum = 0;
      for (const b of body) sum = (sum + b) % 65521;
      const out = new Uint8Array(3 * 1024 * 1024);
      for (let i = 0; i < out.length; i++) out[i] = i % 251;
      return new Response(out, { headers: { "x-in": `${body.length}:${sum}` } });
    }, { tlsCert: files.cert1, tlsKey: files.key1 });
    try {
      const input = new Uint8Array(1024 * 1024);
      let sum = 0;
      for (let i = 0; i < input.length; i++) sum = (sum + (input[i] = (i * 7) % 256)) % 65521;
      const client = tlsClient(s.port, files.ca1);
      try {
        await client.send(`POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${input.length}\r\nConnection: close\r\n\r\n`);
        await client.send(input);
        const response = await client.response({ timeoutMs: 20000 });
        assert.equal(response.header("x-in"), `${input.length}:${sum}`);
        assert.equal(response.body.length, 3 * 1024 * 1024);
        assert.ok(response.body.every((b, i) => b === i % 251), "the response body arrived intact");
      } finally {
        client.destroy();
      }
    } finally {
      await s.close();
    }
  });

  it("a refused request with megabytes behind it: the 431 arrives whole over TLS (the server lingers, reading)", async () => {
    const s = await startServer(() => new Response("never"), { tlsCert: files.cert1, tlsKey: files.key1 });
    try {
      for (let round = 0; round < 3; round++) {
        const client = tlsClient(s.port, files.ca1);
        try {
          // A head far over the header limit, and more bytes still on their way when the server answers.
          const flood = new Uint8Array(8 * 1024 * 1024).fill(0x61);
          flood.set(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: localhost\r\nX: "));
          client.socket.on("error", () => {});
          client.socket.write(flood);
          const response = await client.response({ timeoutMs: 10000 });
          assert.equal(response.status, 431, `round ${round}`);
          assert.equal(response.header("connection"), "close");
        } finally {
          client.destroy();
        }
      }
    } finally {
      await s.close();
    }
  });

  it("start-up fails, naming the setting, for a missing file, an expired certificate, a key that does not match", async () => {
    const start = async (options: ServeOptions) => {
      const log = captureLog();
      const server = createServer(echo, { host: "127.0.0.1", port: 0, logger: log.sink, ...options });
      try {
        await server.ready;
      } catch (error) {
        assert.equal(server.addresses.length, 0, "nothing listens");
        return error as Error & { setting?: string };
      } finally {
        await server.close();
      }
      assert.fail("server.ready resolved");
    };
    const missing = await start({ tlsCert: join(files.dir, "nope.pem"), tlsKey: files.key1 });
    assert.match(missing.message, /^tlsCert: cannot read ".*nope\.pem" \(no such file\): give the path of a readable PEM file$/);
    assert.equal(missing.setting, "tlsCert");
    const missingKey = await start({ tlsCert: files.cert1, tlsKey: join(files.dir, "nope.key") });
    assert.match(missingKey.message, /^tlsKey: cannot read ".*nope\.key" \(no such file\)/);
    const expired = await start({ tlsCert: files.expired, tlsKey: files.key1 });
    assert.match(expired.message, /^tlsCert: the certificate in ".*expired\.pem" expired on 2020-01-02T00:00:00\.000Z: renew it/);
    const mismatch = await start({ tlsCert: files.cert1, tlsKey: files.key2 });
    assert.equal(mismatch.setting, "tlsKey", mismatch.message);
    assert.match(mismatch.message, /^tlsKey: .*(does not match|mismatch)/i);
    const swapped = await start({ tlsCert: files.key1, tlsKey: files.cert1 });
    assert.match(swapped.message, /^tlsCert: ".*cert1\.key" holds no certificate .*\(this is a private key: it belongs in tlsKey\)$/);
    assert.throws(() => createServer(echo, { tlsCert: files.cert1 }), /^TypeError: Setting "tlsCert" needs "tlsKey"/);
    assert.throws(() => createServer(echo, { unixSocket: join(files.dir, "s.sock"), tlsCert: files.cert1, tlsKey: files.key1 }),
      /cannot be used together: TLS is served on TCP listeners only/);
  });

  it("an encrypted key: served with its passphrase (Node, Bun), refused with a clear error (Deno, wrong passphrase)", async () => {
    const options = { host: "127.0.0.1", port: 0, logger: captureLog().sink, tlsCert: files.cert1, tlsKey: files.key1Encrypted };
    const wrong = createServer(echo, { ...options, tlsPassphrase: "wrong" });
    await assert.rejects(wrong.ready, /^Error: tlsPassphrase: /);
    await wrong.close();
    const right = createServer(echo, { ...options, tlsPassphrase: "secret" });
    try {
      if (runtime === "deno") {
        await assert.rejects(right.ready, /^Error: tlsPassphrase: Deno cannot read an encrypted private key: decrypt it/);
      } else {
        await right.ready;
        assert.equal(JSON.parse(await tlsGet(right.addresses[0]!.port, files.ca1)).scheme, "https");
      }
    } finally {
      await right.close();
    }
  });

  it("reloadTls() serves the renewed files to new connections while an open one keeps working", async () => {
    const certPath = join(files.dir, "live.pem");
    const keyPath = join(files.dir, "live.key");
    writeFileSync(certPath, files.read(files.cert1));
    writeFileSync(keyPath, files.read(files.key1));
    const s = await startServer(echo, { tlsCert: certPath, tlsKey: keyPath });
    try {
      const open = tlsClient(s.port, files.ca1);
      await open.send(`GET /before HTTP/1.1\r\nHost: localhost\r\n\r\n`);
      assert.equal((await open.response()).status, 200);
      // A reload that fails keeps the certificate in use.
      writeFileSync(keyPath, files.read(files.key2));
      await assert.rejects(s.server.reloadTls(), /^Error: tlsKey: /);
      assert.equal(JSON.parse(await tlsGet(s.port, files.ca1)).scheme, "https");
      writeFileSync(certPath, files.read(files.cert2));
      await s.server.reloadTls();
      assert.ok(s.log.lines.some((l) => l.includes("Reloaded the TLS certificate")), s.log.lines.join("\n"));
      assert.equal(JSON.parse(await tlsGet(s.port, files.ca2)).scheme, "https");
      await assert.rejects(tlsGet(s.port, files.ca1), "the old certificate is gone for new connections");
      await open.send(`GET /after HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      const response = await open.response();
      assert.equal(JSON.parse(response.text).url, "https://localhost/after");
      open.destroy();
    } finally {
      await s.close();
    }
  });

  it("thread mode: a worker thread's handler sees the https URL and info.scheme", async () => {
    const app = new URL(runtime === "node" ? "./fixtures/thread_app.js" : "./fixtures/thread_app.ts", import.meta.url);
    const server = createServer(app, { host: "127.0.0.1", port: 0, threads: 1, logger: captureLog().sink, tlsCert: files.cert1, tlsKey: files.key1 });
    try {
      await server.ready;
      const port = server.addresses[0]!.port;
      const where = JSON.parse(await tlsGet(port, files.ca1, "/where")) as { inWorker: boolean; url: string; info: RequestInfo };
      assert.deepEqual({ inWorker: where.inWorker, url: where.url, scheme: where.info.scheme }, { inWorker: true, url: `https://localhost:${port}/where`, scheme: "https" });
    } finally {
      await server.close();
    }
  });

  it("reloadTls() on a plain server says it serves no TLS", async () => {
    const s = await startServer(echo);
    try {
      await assert.rejects(s.server.reloadTls(), /this server does not serve TLS: start it with tlsCert and tlsKey/);
    } finally {
      await s.close();
    }
  });
});
