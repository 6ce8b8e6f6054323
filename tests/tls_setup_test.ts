/**
 * loadTls() (src/serve/tls_setup.ts) names the setting to fix from what the runtime's TLS port reports.
 * A fake port stands in for the runtime here, to reach answers a real one gives only now and then: a
 * wrong passphrase that OpenSSL reports as a malformed key ("unsupported") about once in a few
 * hundred tries, instead of "bad decrypt". The real ports are tested through serve() in tls_test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadTls } from "../src/serve/tls_setup.ts";
import type { TlsMaterial, TlsPort } from "../src/platform.ts";
import { HAVE_OPENSSL, makeTlsFiles, type TlsFiles } from "./_tls.ts";

/** The four TLS settings: `tlsCa` and `tlsPassphrase` unset unless given. */
const settings = (given: { tlsCert: string; tlsKey: string; tlsPassphrase?: string }) => ({ tlsCa: undefined, tlsPassphrase: undefined, ...given });

/** A port whose prepare() fails as a runtime does when it cannot parse the key. */
function failingPort(part: "key" | "passphrase" | "cert", message: string): TlsPort & { seen: TlsMaterial[] } {
  const seen: TlsMaterial[] = [];
  return {
    seen,
    readFile: () => Promise.reject(new Error("no such file")),
    prepare: (material) => {
      seen.push(material);
      return Promise.reject(Object.assign(new Error(message), { part }));
    },
  };
}

describe("loadTls() names the setting", { skip: HAVE_OPENSSL ? false : "the openssl command is missing" }, () => {
  let files: TlsFiles;
  let cert: string;
  let plainKey: string;
  let encryptedKey: string;
  before(() => {
    files = makeTlsFiles();
    cert = readFileSync(files.cert1, "utf8");
    plainKey = readFileSync(files.key1, "utf8");
    encryptedKey = readFileSync(files.key1Encrypted, "utf8");
  });
  after(() => files?.remove());
  const now = Date.now();

  it("an encrypted key that fails as malformed with a passphrase given: tlsPassphrase (the wrong passphrase's garbage)", async () => {
    const port = failingPort("key", "the private key cannot be read (error:1E08010C:DECODER routines::unsupported)");
    await assert.rejects(loadTls(settings({ tlsCert: cert, tlsKey: encryptedKey, tlsPassphrase: "wrong" }), port, now), (error: Error & { setting?: string }) => {
      assert.equal(error.setting, "tlsPassphrase");
      assert.match(error.message, /^tlsPassphrase: the passphrase does not decrypt the private key, or the encrypted key is damaged \(the private key cannot be read/);
      return true;
    });
    assert.equal(port.seen[0]?.passphrase, "wrong");
  });

  it("an unencrypted key that fails: tlsKey, whatever the passphrase", async () => {
    const port = failingPort("key", "the private key cannot be read (unsupported)");
    await assert.rejects(loadTls(settings({ tlsCert: cert, tlsKey: plainKey, tlsPassphrase: "secret" }), port, now), /^Error: tlsKey: the private key cannot be read \(unsupported\)/);
  });

  it("an encrypted key that fails without a passphrase: the port's own answer (tlsKey here)", async () => {
    const port = failingPort("key", "the private key cannot be read");
    await assert.rejects(loadTls(settings({ tlsCert: cert, tlsKey: encryptedKey }), port, now), /^Error: tlsKey: /);
  });

  it("the port's passphrase and certificate answers pass through, naming tlsPassphrase and tlsCert", async () => {
    await assert.rejects(loadTls(settings({ tlsCert: cert, tlsKey: encryptedKey, tlsPassphrase: "x" }), failingPort("passphrase", "the passphrase does not decrypt the private key"), now),
      /^Error: tlsPassphrase: the passphrase does not decrypt the private key \(the key in /);
    await assert.rejects(loadTls(settings({ tlsCert: cert, tlsKey: plainKey }), failingPort("cert", "the certificate cannot be read"), now), /^Error: tlsCert: the certificate cannot be read/);
  });
});
