/**
 * The part of the `Bun` global the Bun adapter uses, typed here (the build type-checks without
 * Bun's own declarations), and the one accessor every file of this folder goes through.
 *
 * @module
 */

import type { BunSocketHandle } from "./socket.ts";

/** A connected socket. */
export interface BunSocket {
  data: BunSocketHandle;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  readonly localAddress?: string;
  readonly localPort?: number;
  write(data: Uint8Array): number;
  end(): void;
  /** Shuts the write side (sends a FIN); `shutdown(true)` shuts the read side instead. */
  shutdown(readSide?: boolean): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  setNoDelay?(noDelay?: boolean): boolean;
}

/** A listening socket. */
export interface BunListener {
  readonly hostname?: string;
  readonly port?: number;
  stop(closeActiveConnections?: boolean): void;
}

/** The callbacks of a listener's sockets. */
export interface SocketHandlers {
  open(socket: BunSocket): void;
  data(socket: BunSocket, data: Uint8Array): void;
  drain(socket: BunSocket): void;
  end(socket: BunSocket): void;
  close(socket: BunSocket, error?: unknown): void;
  error(socket: BunSocket, error: unknown): void;
  /** A TLS socket's handshake ended (`success` false: it failed). */
  handshake?(socket: BunSocket, success: boolean, authorizationError: Error | null): void;
}

/** What a TLS listener serves (`Bun.listen({ tls })`). */
export interface BunTlsOptions {
  cert: string;
  key: string;
  passphrase?: string;
  /** In the TLS wire format (each protocol name preceded by its length), as Bun's node:tls passes it. */
  ALPNProtocols?: Uint8Array;
}

/** The `Bun` namespace, as far as the adapter uses it. */
export interface BunApi {
  listen(options: { hostname?: string; port?: number; unix?: string; fd?: number; socket: SocketHandlers; allowHalfOpen?: boolean; ipv6Only?: boolean; backlog?: number; reusePort?: boolean; tls?: BunTlsOptions }): BunListener;
  connect(options: { unix: string; socket: { data(socket: unknown, data: Uint8Array): void } }): Promise<{ end(): void }>;
  readonly dns: {
    lookup(host: string, options?: { family?: 0 | 4 | 6 }): Promise<{ address: string; family: 4 | 6 }[]>;
  };
  readonly env: Record<string, string | undefined>;
}

/**
 * The `Bun` global (read when called: this module may be loaded for type-checking anywhere).
 *
 * @example
 * ```ts ignore
 * const listener = bun().listen({ hostname: "127.0.0.1", port: 0, socket: handlers });
 * ```
 */
export const bun = (): BunApi => (globalThis as unknown as { Bun: BunApi }).Bun;
