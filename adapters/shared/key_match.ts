/**
 * Whether a private key belongs to a certificate, through Web Crypto (which Node, Deno and Bun all
 * have): the public half of the key, as a JWK, against the certificate's public key. For adapters
 * whose TLS library does not check it when it loads them (the mismatch would otherwise surface as a
 * failed handshake at the first request). Unencrypted PKCS#8 keys (`-----BEGIN PRIVATE KEY-----`)
 * of RSA, EC (P-256, P-384, P-521) and Ed25519; anything else is "cannot tell".
 *
 * @module
 */

/** An algorithm of Web Crypto, and the JWK members of its public key. */
interface KeyKind {
  algorithm: RsaHashedImportParams | EcKeyImportParams | { name: "Ed25519" };
  members: string[];
}

/** DER of an OID (tag and length included), as hex. */
const RSA = "06092a864886f70d010101";
const EC = "06072a8648ce3d0201";
const CURVES: Record<string, string> = { "06082a8648ce3d030107": "P-256", "06052b81040022": "P-384", "06052b81040023": "P-521" };
const ED25519 = "06032b6570";

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** The kind of key a subjectPublicKeyInfo holds (its AlgorithmIdentifier is in its first bytes). */
function kindOf(publicKeyInfo: Uint8Array): KeyKind | undefined {
  const head = hex(publicKeyInfo.subarray(0, 40));
  if (head.includes(RSA)) return { algorithm: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, members: ["n", "e"] };
  if (head.includes(EC)) {
    for (const [oid, namedCurve] of Object.entries(CURVES)) if (head.includes(oid)) return { algorithm: { name: "ECDSA", namedCurve }, members: ["x", "y"] };
    return undefined;
  }
  if (head.includes(ED25519)) return { algorithm: { name: "Ed25519" }, members: ["x"] };
  return undefined;
}

function base64Bytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/\s+/g, ""));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * `true` when `keyPem` is the private key of the certificate whose subjectPublicKeyInfo is
 * `publicKeyInfo`, `false` when it is another key, `undefined` when Web Crypto cannot tell (an
 * encrypted or PKCS#1 key, another algorithm).
 *
 * @example
 * ```ts ignore
 * if (await keyMatchesCertificate(certificateFields(der).publicKeyInfo, keyPem) === false) throw new Error("mismatch");
 * ```
 */
export async function keyMatchesCertificate(publicKeyInfo: Uint8Array, keyPem: string): Promise<boolean | undefined> {
  const pem = /-----BEGIN PRIVATE KEY-----([^-]*)-----END PRIVATE KEY-----/.exec(keyPem);
  const kind = kindOf(publicKeyInfo);
  const subtle = globalThis.crypto?.subtle;
  if (pem === null || kind === undefined || subtle === undefined) return undefined;
  try {
    const publicKey = await subtle.importKey("spki", publicKeyInfo.slice(), kind.algorithm, true, ["verify"]);
    const privateKey = await subtle.importKey("pkcs8", base64Bytes(pem[1]!), kind.algorithm, true, ["sign"]);
    const a = await subtle.exportKey("jwk", publicKey) as Record<string, unknown>;
    const b = await subtle.exportKey("jwk", privateKey) as Record<string, unknown>;
    return kind.members.every((member) => a[member] !== undefined && a[member] === b[member]);
  } catch {
    return undefined; // a key of a kind this check does not know: the TLS library decides
  }
}
