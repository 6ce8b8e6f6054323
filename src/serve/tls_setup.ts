/**
 * The TLS settings turned into what a listener serves: `tlsCert`, `tlsKey` and `tlsCa` read (a path
 * through the runtime's {@linkcode TlsPort}, or PEM text or bytes as given), the certificate's dates
 * checked against the clock, the chain joined, and the adapter's checks (the key decrypts and
 * matches the certificate) run. Every failure says which setting is wrong and what to do; the
 * error's `setting` names it, so the command line can name its flag instead.
 *
 * @module
 */

import type { TlsContext, TlsMaterial, TlsPort } from "../platform.ts";
import type { Settings } from "../settings/adjustments.ts";

/** The TLS settings, as `resolveSettings()` leaves them. */
/** A PEM private key encrypted with a passphrase (PKCS #8, or OpenSSL's traditional format). */
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/;

export type TlsSettings = Pick<Settings, "tlsCert" | "tlsKey" | "tlsPassphrase" | "tlsCa">;

/** A TLS setting that cannot be used: `setting` is its `serve()` name, which the message names too. */
export interface TlsSettingError extends Error {
  setting: keyof TlsSettings;
}

function settingError(setting: keyof TlsSettings, message: string, cause?: unknown): TlsSettingError {
  return Object.assign(new Error(`${setting}: ${message}`, cause === undefined ? undefined : { cause }), { setting });
}

/** Whether a setting's string is PEM text rather than a file's path. */
function isPemText(value: string): boolean {
  return value.includes("-----BEGIN ");
}

/** How a value is named in messages: its path, or "the PEM text given". */
function describeSource(value: string | Uint8Array): string {
  return typeof value === "string" && !isPemText(value) ? JSON.stringify(value) : "the PEM given";
}

/** PEM is ASCII text. */
const ascii = new TextDecoder();

async function readPem(setting: keyof TlsSettings, value: string | Uint8Array, port: TlsPort): Promise<string> {
  if (typeof value !== "string") return ascii.decode(value);
  if (isPemText(value)) return value;
  let bytes: Uint8Array;
  try {
    bytes = await port.readFile(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw settingError(setting, `cannot read ${JSON.stringify(value)} (${reason}): give the path of a readable PEM file`, error);
  }
  return ascii.decode(bytes);
}

/** Each `-----BEGIN CERTIFICATE-----` block of `pem`, decoded. */
function certificateBlocks(pem: string): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (const m of pem.matchAll(/-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g)) {
    const text = atob(m[1]!.replace(/\s+/g, ""));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    blocks.push(bytes);
  }
  return blocks;
}

/** One DER element: its tag, and where its content starts and ends. */
interface Der {
  tag: number;
  start: number;
  end: number;
}

function derAt(bytes: Uint8Array, offset: number, limit: number): Der {
  if (offset + 2 > limit) throw new RangeError("truncated");
  const tag = bytes[offset]!;
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) throw new RangeError("bad length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!;
    start += count;
  }
  if (start + length > limit) throw new RangeError("truncated");
  return { tag, start, end: start + length };
}

/** A UTCTime (tag 0x17) or GeneralizedTime (0x18), in milliseconds since the epoch. */
function derTime(bytes: Uint8Array, el: Der): number {
  const text = ascii.decode(bytes.subarray(el.start, el.end));
  const m = el.tag === 0x17 ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(text) : /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)?Z$/.exec(text);
  if (m === null) throw new RangeError(`bad time ${text}`);
  let year = Number(m[1]);
  if (el.tag === 0x17) year += year >= 50 ? 1900 : 2000; // RFC 5280 §4.1.2.5.1
  return Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
}

/**
 * The validity period of a DER certificate (RFC 5280: Certificate → tbsCertificate → validity), in
 * milliseconds since the epoch. Throws a `RangeError` when the bytes are not a certificate.
 *
 * @example
 * ```ts ignore
 * const { notBefore, notAfter } = certificateValidity(der);
 * ```
 */
export function certificateValidity(der: Uint8Array): { notBefore: number; notAfter: number } {
  const cert = derAt(der, 0, der.length);
  const tbs = derAt(der, cert.start, cert.end);
  if (cert.tag !== 0x30 || tbs.tag !== 0x30) throw new RangeError("not a certificate");
  let el = derAt(der, tbs.start, tbs.end);
  if (el.tag === 0xa0) el = derAt(der, el.end, tbs.end); // version
  // serialNumber, signature, issuer, then validity
  for (let i = 0; i < 3; i++) el = derAt(der, el.end, tbs.end);
  if (el.tag !== 0x30) throw new RangeError("no validity");
  const notBefore = derAt(der, el.start, el.end);
  const notAfter = derAt(der, notBefore.end, el.end);
  return { notBefore: derTime(der, notBefore), notAfter: derTime(der, notAfter) };
}

/** What {@linkcode loadTls} made: the context for the listeners, and the certificate's expiry (for the log). */
export interface LoadedTls {
  context: TlsContext;
  /** When the certificate expires (ms since the epoch). */
  notAfter: number;
}

/**
 * Reads and checks the TLS settings and prepares them with the runtime's `port`, at time `now`.
 * Rejects with a {@linkcode TlsSettingError} naming the setting: a file that cannot be read, no
 * certificate in `tlsCert`, a certificate that has expired or is not valid yet, a key that cannot be
 * read, decrypted or does not match the certificate.
 *
 * @example
 * ```ts ignore
 * const { context } = await loadTls(settings, runtime.tls!, runtime.clock.now());
 * await runtime.listenTcp("127.0.0.1", 8443, 1024, onAccept, events, context);
 * ```
 */
export async function loadTls(settings: TlsSettings, port: TlsPort, now: number): Promise<LoadedTls> {
  const { tlsCert, tlsKey, tlsCa, tlsPassphrase } = settings;
  if (tlsCert === undefined || tlsKey === undefined) throw new TypeError("loadTls() needs tlsCert and tlsKey");
  const [cert, key, ca] = await Promise.all([
    readPem("tlsCert", tlsCert, port),
    readPem("tlsKey", tlsKey, port),
    tlsCa === undefined ? undefined : readPem("tlsCa", tlsCa, port),
  ]);
  const where = describeSource(tlsCert);
  let blocks: Uint8Array[];
  try {
    blocks = certificateBlocks(cert);
  } catch (error) {
    throw settingError("tlsCert", `${where} holds a certificate block that is not base64: give the certificate as PEM`, error);
  }
  if (blocks.length === 0) {
    throw settingError("tlsCert", `${where} holds no certificate (no "-----BEGIN CERTIFICATE-----" line): give the server certificate as PEM` +
      (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(cert) ? " (this is a private key: it belongs in tlsKey)" : ""));
  }
  let validity: { notBefore: number; notAfter: number };
  try {
    validity = certificateValidity(blocks[0]!);
  } catch (error) {
    throw settingError("tlsCert", `the first certificate in ${where} cannot be read (${error instanceof Error ? error.message : String(error)}): give the server certificate as PEM`, error);
  }
  if (now > validity.notAfter) {
    throw settingError("tlsCert", `the certificate in ${where} expired on ${new Date(validity.notAfter).toISOString()}: ` +
      "renew it (waitress-serve reloads certificates on SIGHUP)");
  }
  if (now < validity.notBefore) {
    throw settingError("tlsCert", `the certificate in ${where} is not valid before ${new Date(validity.notBefore).toISOString()}: ` +
      "check the clock, or issue it with an earlier start date");
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key)) {
    throw settingError("tlsKey", `${describeSource(tlsKey)} holds no private key (no "-----BEGIN ... PRIVATE KEY-----" line): give the key as PEM`);
  }
  let chain: Uint8Array[] = [];
  try {
    if (ca !== undefined) chain = certificateBlocks(ca);
  } catch { /* not base64: reported as holding no certificate */ }
  if (ca !== undefined && chain.length === 0) {
    throw settingError("tlsCa", `${describeSource(tlsCa!)} holds no certificate (no "-----BEGIN CERTIFICATE-----" line): give the CA chain as PEM`);
  }
  const material: TlsMaterial = { cert: ca === undefined ? cert : `${cert.trimEnd()}\n${ca.trimEnd()}\n`, key };
  if (tlsPassphrase !== undefined) material.passphrase = tlsPassphrase;
  try {
    return { context: await port.prepare(material), notAfter: validity.notAfter };
  } catch (error) {
    let part = (error as { part?: unknown } | null)?.part;
    let reason = error instanceof Error ? error.message : String(error);
    if (part === "key" && tlsPassphrase !== undefined && ENCRYPTED_KEY.test(key)) {
      // A wrong passphrase yields garbage that now and then passes the padding check and fails as a
      // malformed key (OpenSSL's "unsupported" instead of "bad decrypt"): the passphrase is the suspect.
      part = "passphrase";
      reason = `the passphrase does not decrypt the private key, or the encrypted key is damaged (${reason})`;
    }
    if (part === "passphrase") throw settingError("tlsPassphrase", `${reason} (the key in ${describeSource(tlsKey)})`, error);
    if (part === "key") throw settingError("tlsKey", `${reason} (the key in ${describeSource(tlsKey)}, the certificate in ${where})`, error);
    throw settingError("tlsCert", `${reason} (the certificate in ${where})`, error);
  }
}
