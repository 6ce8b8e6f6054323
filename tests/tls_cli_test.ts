/**
 * `waitress-serve` with TLS (issue 17), as child processes on every runtime: `--tls-cert` and
 * `--tls-key` (and their ini keys) serve HTTPS; SIGHUP reloads the certificate for new connections
 * while an open connection keeps working (on Deno and Bun the listener is reopened, with the same
 * outcome for clients); a certificate that cannot be used ends the command at start-up with a
 * message naming the flag, and exit code 1.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { outputMatch, servingPort, spawnCli, stopChild, within } from "./_child.ts";
import { HAVE_OPENSSL, makeTlsFiles, tlsClient, tlsGet, type TlsFiles } from "./_tls.ts";

const NO_OPENSSL = HAVE_OPENSSL ? false : "the openssl command is missing (Debian package openssl): TLS tests skipped";

describe("waitress-serve with TLS", { skip: NO_OPENSSL }, () => {
  let files: TlsFiles;
  before(() => {
    files = makeTlsFiles();
    writeFileSync(join(files.dir, "app.mjs"), "export default (request, info) => Response.json({ url: request.url, scheme: info.scheme });\n");
  });
  after(() => files?.remove());

  it("--tls-cert and --tls-key serve HTTPS; SIGHUP reloads the certificate, an open connection goes on", async () => {
    const cert = join(files.dir, "cli.pem");
    const key = join(files.dir, "cli.key");
    writeFileSync(cert, files.read(files.cert1));
    writeFileSync(key, files.read(files.key1));
    const c = spawnCli(["--listen=127.0.0.1:0", `--tls-cert=${cert}`, `--tls-key=${key}`, "app.mjs"], files.dir);
    try {
      const port = await servingPort(c, 20000);
      assert.match(c.output(), /Serving on https:\/\/127\.0\.0\.1:/);
      const open = tlsClient(port, files.ca1);
      await open.send("GET /first HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assert.equal(JSON.parse((await open.response()).text).scheme, "https");

      writeFileSync(cert, files.read(files.cert2));
      writeFileSync(key, files.read(files.key2));
      process.kill(c.child.pid!, "SIGHUP");
      await within(outputMatch(c, /Reloaded the TLS certificate/), 10000, () => `waiting for the reload:\n${c.output()}`);
      assert.match(c.output(), /Received SIGHUP: reloading the TLS certificate and key/);
      assert.equal(JSON.parse(await tlsGet(port, files.ca2)).scheme, "https");
      await assert.rejects(tlsGet(port, files.ca1));

      await open.send("GET /second HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      assert.equal(JSON.parse((await open.response()).text).url, "https://localhost/second");
      open.destroy();

      // A reload that fails is logged and keeps the certificate in use.
      writeFileSync(cert, "not a certificate\n");
      process.kill(c.child.pid!, "SIGHUP");
      await within(outputMatch(c, /Reloading the TLS certificate failed; the one in use stays: --tls-cert: /), 10000, () => c.output());
      assert.equal(JSON.parse(await tlsGet(port, files.ca2)).scheme, "https");

      process.kill(c.child.pid!, "SIGTERM");
      const { code } = await within(c.exit, 10000, () => `waiting for exit:\n${c.output()}`);
      assert.equal(code, 0, c.output());
    } finally {
      await stopChild(c);
    }
  });

  it("a certificate that cannot be used ends the command at start-up, naming the flag or ini key", async () => {
    const run = async (args: string[]) => {
      const c = spawnCli(args, files.dir);
      try {
        const { code } = await within(c.exit, 20000, () => `waiting for exit:\n${c.output()}`);
        return { code, output: c.output() };
      } finally {
        await stopChild(c);
      }
    };
    const missing = await run(["--listen=127.0.0.1:0", `--tls-cert=${join(files.dir, "nope.pem")}`, `--tls-key=${files.key1}`, "app.mjs"]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /^Error: cannot start the server: --tls-cert: cannot read ".*nope\.pem" \(no such file\)/m);
    const expired = await run(["--listen=127.0.0.1:0", `--tls-cert=${files.expired}`, `--tls-key=${files.key1}`, "app.mjs"]);
    assert.equal(expired.code, 1, expired.output);
    assert.match(expired.output, /^Error: cannot start the server: --tls-cert: the certificate in ".*" expired on 2020-01-02/m);
    const mismatch = await run(["--listen=127.0.0.1:0", `--tls-cert=${files.cert1}`, `--tls-key=${files.key2}`, "app.mjs"]);
    assert.equal(mismatch.code, 1, mismatch.output);
    assert.match(mismatch.output, /^Error: cannot start the server: --tls-key: /m);
    const alone = await run(["--listen=127.0.0.1:0", `--tls-cert=${files.cert1}`, "app.mjs"]);
    assert.equal(alone.code, 1, alone.output);
    assert.match(alone.output, /^Error: Setting --tls-cert needs --tls-key: /m);

    const ini = join(files.dir, "app.ini");
    writeFileSync(ini, `[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\ntls_cert = ${files.expired}\ntls_key = ${files.key1}\n`);
    const fromIni = await run(["--config", ini, "app.mjs"]);
    assert.equal(fromIni.code, 1, fromIni.output);
    assert.match(fromIni.output, /^Error: cannot start the server: "tls_cert": the certificate in ".*" expired on/m);
  });

  it("ini keys tls_cert and tls_key serve HTTPS", async () => {
    const ini = join(files.dir, "ok.ini");
    writeFileSync(ini, `[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:0\ntls_cert = ${files.cert1}\ntls_key = ${files.key1}\n`);
    const c = spawnCli(["--config", ini, "app.mjs"], files.dir);
    try {
      const port = await servingPort(c, 20000);
      assert.deepEqual(JSON.parse(await tlsGet(port, files.ca1, "/ini")), { url: `https://localhost:${port}/ini`, scheme: "https" });
    } finally {
      await stopChild(c);
    }
  });
});
