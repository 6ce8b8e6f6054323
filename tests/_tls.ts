/**
 * TLS test material, made with the `openssl` command at test time in a temp directory: two CAs, a
 * server certificate of each for 127.0.0.1 and localhost, an intermediate CA with a server
 * certificate under it, an expired certificate, an encrypted key; and a `node:tls` client (which
 * Node, Deno and Bun all provide) that speaks HTTP/1.1 over it.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { RawClient } from "./_helpers.ts";

/** Whether a command runs (`openssl version`, `curl --version`). */
export function haveCommand(command: string): boolean {
  try {
    return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0 || spawnSync(command, ["version"], { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
}

/** Whether the `openssl` command is there (Debian package openssl). */
export const HAVE_OPENSSL: boolean = haveCommand("openssl");
/** Whether the `curl` command is there (Debian package curl). */
export const HAVE_CURL: boolean = haveCommand("curl");

/** The files of {@linkcode makeTlsFiles}, as absolute paths. */
export interface TlsFiles {
  dir: string;
  /** CA 1, and the server certificate and key it signed (127.0.0.1, localhost). */
  ca1: string;
  cert1: string;
  key1: string;
  /** CA 2, and its server certificate and key. */
  ca2: string;
  cert2: string;
  key2: string;
  /** An intermediate CA under CA 1, and a server certificate and key it signed. */
  inter: string;
  cert3: string;
  key3: string;
  /** cert1's subject and key, valid 2020-01-01 to 2020-01-02 only. */
  expired: string;
  /** key1 encrypted with the passphrase "secret". */
  key1Encrypted: string;
  /** Reads a file of the set as text. */
  read(path: string): string;
  /** Deletes the directory. */
  remove(): void;
}

const CONFIG = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = waitress test
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ inter_ext ]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ca ]
default_ca = ca_default
[ ca_default ]
database = index.txt
new_certs_dir = .
serial = serial.txt
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
`;

function openssl(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/**
 * Makes the certificate set in a new temp directory (delete it with `remove()`).
 *
 * @example
 * ```ts
 * const files = makeTlsFiles();
 * try { serve(app, { tlsCert: files.cert1, tlsKey: files.key1 }); } finally { files.remove(); }
 * ```
 */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), "waitress-tls-"));
  try {
    writeFileSync(join(dir, "openssl.cnf"), CONFIG);
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial.txt"), "1000\n");
    const cnf = ["-config", "openssl.cnf"];
    for (const ca of ["ca1", "ca2"]) {
      openssl(dir, ["req", "-x509", "-new", ...EC, "-keyout", `${ca}.key`, "-out", `${ca}.pem`, "-days", "2", ...cnf, "-extensions", "ca_ext", "-subj", `/CN=waitress test ${ca}`]);
    }
    const leaf = (name: string, ca: string) => {
      openssl(dir, ["req", "-new", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, ...cnf, "-subj", "/CN=localhost"]);
      openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", "-extfile", "openssl.cnf", "-extensions", "leaf_ext"]);
    };
    leaf("cert1", "ca1");
    leaf("cert2", "ca2");
    openssl(dir, ["req", "-new", ...EC, "-keyout", "inter.key", "-out", "inter.csr", ...cnf, "-subj", "/CN=waitress test intermediate"]);
    openssl(dir, ["x509", "-req", "-in", "inter.csr", "-CA", "ca1.pem", "-CAkey", "ca1.key", "-CAcreateserial", "-out", "inter.pem", "-days", "2", "-extfile", "openssl.cnf", "-extensions", "inter_ext"]);
    leaf("cert3", "inter");
    openssl(dir, ["ca", "-batch", ...cnf, "-cert", "ca1.pem", "-keyfile", "ca1.key", "-in", "cert1.csr", "-out", "expired.pem", "-notext",
      "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", "openssl.cnf", "-extensions", "leaf_ext"]);
    openssl(dir, ["pkey", "-in", "cert1.key", "-out", "key1-encrypted.key", "-aes256", "-passout", "pass:secret"]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const at = (name: string) => join(dir, name);
  return {
    dir,
    ca1: at("ca1.pem"),
    cert1: at("cert1.pem"),
    key1: at("cert1.key"),
    ca2: at("ca2.pem"),
    cert2: at("cert2.pem"),
    key2: at("cert2.key"),
    inter: at("inter.pem"),
    cert3: at("cert3.pem"),
    key3: at("cert3.key"),
    expired: at("expired.pem"),
    key1Encrypted: at("key1-encrypted.key"),
    read: (path) => readFileSync(path, "utf8"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A TLS connection to 127.0.0.1:`port` trusting the CA file `ca` (ALPN `http/1.1`), as a
 * {@linkcode RawClient}: `send()` waits for the handshake and rejects when it fails.
 *
 * @example
 * ```ts
 * const client = tlsClient(port, files.ca1);
 * await client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
 * const response = await client.response();
 * ```
 */
export function tlsClient(port: number, ca: string): RawClient {
  const socket = tls.connect({ host: "127.0.0.1", port, ca: readFileSync(ca, "utf8"), ALPNProtocols: ["http/1.1"] });
  return new RawClient(port, "127.0.0.1", undefined, socket, "secureConnect");
}

/** Sends one GET over a new TLS connection and returns the response body (the connection is closed after). */
export async function tlsGet(port: number, ca: string, path = "/"): Promise<string> {
  const client = tlsClient(port, ca);
  try {
    await client.send(`GET ${path} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
    return (await client.response()).text;
  } finally {
    client.destroy();
  }
}
