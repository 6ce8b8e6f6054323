/**
 * Bun's TLS (`Bun.listen({ tls })`, BoringSSL): the PEM is checked by opening a trial listener on a
 * free loopback port (Bun reads certificates and keys, and checks that they match, when it listens),
 * so a bad certificate, key or passphrase fails at start-up, named, and never at the first request.
 *
 * @module
 */

import { readFile } from "node:fs/promises";
import type { TlsContext, TlsMaterial, TlsPort } from "../../src/platform.ts";
import { readingFile } from "../shared/read_file_error.ts";
import { bun, type BunTlsOptions } from "./api.ts";

/** A context of this adapter: what `Bun.listen` takes as `tls`. */
export interface BunTlsContext extends TlsContext {
  readonly options: BunTlsOptions;
}

/** ALPN `http/1.1`, in the TLS wire format (the name preceded by its length). */
export const ALPN_HTTP1: Uint8Array = new Uint8Array([8, ...new TextEncoder().encode("http/1.1")]);

const ignore = (): void => {};

/**
 * Checks `material` as `Bun.listen` would use it and prepares it.
 *
 * @example
 * ```ts ignore
 * const context = await prepare({ cert: certPem, key: keyPem });
 * ```
 */
export async function prepare(material: TlsMaterial): Promise<BunTlsContext> {
  const options: BunTlsOptions = { cert: material.cert, key: material.key, ALPNProtocols: ALPN_HTTP1 };
  if (material.passphrase !== undefined) options.passphrase = material.passphrase;
  try {
    bun().listen({
      hostname: "127.0.0.1",
      port: 0,
      tls: options,
      socket: { open: ignore, data: ignore, drain: ignore, end: ignore, close: ignore, error: ignore },
    }).stop(true);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // BoringSSL: "...:KEY_VALUES_MISMATCH", "...:BAD_DECRYPT", "...:NO_START_LINE".
    if (/mismatch/i.test(message)) throw Object.assign(new Error(`the private key does not match the certificate (${message})`, { cause: error }), { part: "key" });
    const part = /passphrase|decrypt/i.test(message) ? "passphrase" : /key/i.test(message) ? "key" : "cert";
    throw Object.assign(new Error(`Bun cannot use the certificate and key (${message})`, { cause: error }), { part });
  }
  return { runtime: "bun", options };
}

/**
 * The TLS port on Bun.
 *
 * @example
 * ```ts ignore
 * const context = await bunTls.prepare({ cert, key });
 * ```
 */
export const bunTls: TlsPort = { readFile: (path) => readingFile(() => readFile(path)), prepare };
