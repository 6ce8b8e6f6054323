/**
 * A raw WebSocket client for the integration tests: the HTTP handshake by hand over a RawClient, then
 * masked frames out and unmasked server frames in, byte for byte, so a test sees exactly what the
 * server sent (a library client would hide it).
 */
import { RawClient, type RawResponse } from "./_helpers.ts";
import { frame } from "./_ws_harness.ts";

/** A server frame. */
export interface Frame {
  fin: boolean;
  rsv: number;
  opcode: number;
  payload: Uint8Array;
}

export const OP = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** A client frame (tests/_ws_harness.ts builds it): masked unless `mask: false`, FIN set unless `fin: false`. */
export function clientFrame(opcode: number, payload: Uint8Array | string, options: { fin?: boolean; rsv?: number; mask?: boolean } = {}): Uint8Array {
  return frame(opcode, payload, { fin: options.fin, rsv: options.rsv, masked: options.mask });
}

/** A close frame's payload: the code, then the reason. */
export function closePayload(code: number, reason = ""): Uint8Array {
  const text = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

export const HANDSHAKE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const HANDSHAKE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** The text of a handshake request; `extra` lines replace or add headers (a value of null drops one). */
export function handshakeRequest(port: number, path = "/", extra: Record<string, string | null> = {}): string {
  const headers: Record<string, string | null> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": HANDSHAKE_KEY,
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  let text = `GET ${path} HTTP/1.1\r\n`;
  for (const [name, value] of Object.entries(headers)) if (value !== null) text += `${name}: ${value}\r\n`;
  return text + "\r\n";
}

/** A raw WebSocket connection after its handshake. */
export class WsClient {
  readonly raw: RawClient;
  readonly handshake: RawResponse;

  private constructor(raw: RawClient, handshake: RawResponse) {
    this.raw = raw;
    this.handshake = handshake;
  }

  /** Connects (or uses `over`, a TLS client say) and sends the handshake; the response must be a 101 (else it throws with what came). */
  static async open(port: number, path = "/", extra: Record<string, string | null> = {}, over?: RawClient): Promise<WsClient> {
    const raw = over ?? new RawClient(port);
    await raw.send(handshakeRequest(port, path, extra));
    const response = await raw.response();
    if (response.status !== 101) {
      raw.destroy();
      throw new Error(`expected 101, got ${response.status}: ${response.text}`);
    }
    return new WsClient(raw, response);
  }

  send(frame: Uint8Array): Promise<void> {
    return this.raw.send(frame);
  }

  sendText(text: string): Promise<void> {
    return this.raw.send(clientFrame(OP.text, text));
  }

  sendBinary(data: Uint8Array): Promise<void> {
    return this.raw.send(clientFrame(OP.binary, data));
  }

  /** Reads the next frame the server sent. */
  async frame(timeoutMs = 5000): Promise<Frame> {
    const [b0, b1] = await this.raw.read(2, timeoutMs);
    if ((b1 & 0x80) !== 0) throw new Error("the server masked a frame");
    let length = b1 & 0x7f;
    if (length === 126) {
      const b = await this.raw.read(2, timeoutMs);
      length = (b[0] << 8) | b[1];
    } else if (length === 127) {
      const b = await this.raw.read(8, timeoutMs);
      length = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0));
    }
    const payload = await this.raw.read(length, timeoutMs);
    return { fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, payload };
  }

  /** Reads frames until a close frame: its code (1005 for none) and reason. */
  async closeFrame(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    for (;;) {
      const f = await this.frame(timeoutMs);
      if (f.opcode !== OP.close) continue;
      if (f.payload.length < 2) return { code: 1005, reason: "" };
      return { code: (f.payload[0] << 8) | f.payload[1], reason: new TextDecoder().decode(f.payload.subarray(2)) };
    }
  }

  destroy(): void {
    this.raw.destroy();
  }
}

/** Text of a frame's payload. */
export const textOf = (frame: Frame): string => new TextDecoder("utf-8", { ignoreBOM: true }).decode(frame.payload);
