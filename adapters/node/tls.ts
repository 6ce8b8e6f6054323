/**
 * Node's TLS: certificates checked with `node:crypto` and prepared as a `tls.SecureContext`; each TCP
 * connection a `node:net` listener accepts is wrapped at once in a server-side `tls.TLSSocket`, so the
 * core holds it from accept (the header timeout and the connection limit count the handshake). A
 * new context serves the connections accepted after it: open ones keep theirs. Loaded only when a
 * server serves TLS.
 *
 * @module
 */

import * as tls from "node:tls";
import type * as net from "node:net";
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { TlsContext, TlsMaterial, TlsPort } from "../../src/platform.ts";
import { readingFile } from "../shared/read_file_error.ts";

/** A context of this adapter. */
export interface NodeTlsContext extends TlsContext {
  readonly secureContext: tls.SecureContext;
}

function partError(part: "cert" | "key" | "passphrase", message: string, cause: unknown): Error {
  return Object.assign(new Error(message, { cause }), { part });
}

const detail = (error: unknown): string => error instanceof Error ? error.message : String(error);

/**
 * Checks `material` (the key decrypts, and matches the first certificate) and prepares it.
 *
 * @example
 * ```ts ignore
 * const context = await prepare({ cert: certPem, key: keyPem });
 * ```
 */
export async function prepare(material: TlsMaterial): Promise<NodeTlsContext> {
  const { cert, key, passphrase } = material;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(passphrase === undefined ? { key } : { key, passphrase });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MISSING_PASSPHRASE") throw partError("passphrase", "the private key is encrypted: give its passphrase", error);
    if (passphrase !== undefined && /bad decrypt/i.test(detail(error))) throw partError("passphrase", "the passphrase does not decrypt the private key", error);
    throw partError("key", `the private key cannot be read (${detail(error)})`, error);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw partError("cert", `the certificate cannot be read (${detail(error)})`, error);
  }
  if (!certificate.checkPrivateKey(privateKey)) throw partError("key", "the private key does not match the certificate", undefined);
  try {
    const secureContext = tls.createSecureContext(passphrase === undefined ? { cert, key } : { cert, key, passphrase });
    return { runtime: "node", secureContext };
  } catch (error) {
    throw partError("cert", `the certificate chain cannot be used (${detail(error)})`, error);
  }
}

/**
 * The TLS port on Node.
 *
 * @example
 * ```ts ignore
 * const context = await nodeTls.prepare({ cert, key });
 * ```
 */
export const nodeTls: TlsPort = { readFile: (path) => readingFile(() => readFile(path)), prepare };

/** Where a TLS listener finds the context for the next connection (replaced by a reload). */
export interface ContextHolder {
  context: NodeTlsContext;
}

/**
 * Wraps an accepted TCP socket in a server-side TLS socket (ALPN `http/1.1`); the handshake starts
 * with the client's first bytes.
 *
 * @example
 * ```ts ignore
 * const secure = secureSocket(raw, holder.context);
 * ```
 */
export function secureSocket(raw: net.Socket, context: NodeTlsContext): tls.TLSSocket {
  return new tls.TLSSocket(raw, {
    isServer: true,
    secureContext: context.secureContext,
    ALPNProtocols: ["http/1.1"],
    requestCert: false,
    allowHalfOpen: true,
  } as tls.TLSSocketOptions);
}
