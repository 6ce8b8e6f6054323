/**
 * Deno's TLS (`Deno.listenTls`, rustls): the PEM is checked by opening a trial listener on a free
 * loopback port (Deno parses certificates and keys, and checks that they match, only when it
 * listens), so a bad certificate or key fails at start-up, named, and never at the first request.
 * Deno reads unencrypted keys only.
 *
 * @module
 */

import type { TlsContext, TlsMaterial, TlsPort } from "../../src/platform.ts";
import { readingFile } from "../shared/read_file_error.ts";
import { deno } from "./api.ts";

/** A context of this adapter: the PEM `Deno.listenTls` takes. */
export interface DenoTlsContext extends TlsContext {
  readonly cert: string;
  readonly key: string;
}

function partError(part: "cert" | "key" | "passphrase", message: string, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { part });
}

/** ALPN: this server speaks HTTP/1.1 only. */
const ALPN = ["http/1.1"];

/**
 * Checks `material` as `Deno.listenTls` would use it and prepares it.
 *
 * @example
 * ```ts ignore
 * const context = await prepare({ cert: certPem, key: keyPem });
 * ```
 */
export async function prepare(material: TlsMaterial): Promise<DenoTlsContext> {
  const { cert, key, passphrase } = material;
  if (passphrase !== undefined || /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(key)) {
    throw partError(passphrase === undefined ? "key" : "passphrase", "Deno cannot read an encrypted private key: decrypt it " +
      "(openssl pkey -in key.pem -out plain-key.pem) and give that without a passphrase");
  }
  let trial;
  try {
    trial = deno().listenTls({ hostname: "127.0.0.1", port: 0, transport: "tcp", cert, key, alpnProtocols: ALPN });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // rustls: "keys may not be consistent: KeyMismatch"; "No certificates found in cert file"; "...in key file".
    if (/mismatch/i.test(message)) throw partError("key", `the private key does not match the certificate (${message})`, error);
    throw partError(/key/i.test(message) && !/cert/i.test(message) ? "key" : "cert", `Deno cannot use the certificate and key (${message})`, error);
  }
  trial.close();
  return { runtime: "deno", cert, key };
}

/**
 * The TLS port on Deno.
 *
 * @example
 * ```ts ignore
 * const context = await denoTls.prepare({ cert, key });
 * ```
 */
export const denoTls: TlsPort = { readFile: (path) => readingFile(() => deno().readFile(path)), prepare };
