/**
 * The part of the `Deno` global the Deno adapter uses, typed here (the build type-checks without
 * Deno's own declarations), and the one accessor every file of this folder goes through.
 *
 * @module
 */

/** A socket address as Deno reports it. */
export interface DenoAddr {
  transport: string;
  hostname?: string;
  port?: number;
  path?: string;
}

/** An accepted or connected socket. */
export interface DenoConn {
  readonly remoteAddr: DenoAddr;
  readonly localAddr: DenoAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
}

/** A listening socket. */
export interface DenoListener extends AsyncIterable<DenoConn> {
  readonly addr: DenoAddr;
  accept(): Promise<DenoConn>;
  close(): void;
}

/** What `stat` and `lstat` report. */
export interface DenoFileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSocket?: boolean | null;
  size: number;
  mtime: Date | null;
}

/** An open file. */
export interface DenoFsFile {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  seek(offset: number, whence: number): Promise<number>;
  stat(): Promise<DenoFileInfo>;
  close(): void;
}

/** How `Deno.open` opens a file. */
export interface DenoOpenOptions {
  read?: boolean;
  write?: boolean;
  append?: boolean;
  create?: boolean;
  createNew?: boolean;
  mode?: number;
}

/** What `Deno.listenTls` takes. */
export interface DenoListenTlsOptions {
  hostname: string;
  port: number;
  transport: "tcp";
  cert: string;
  key: string;
  alpnProtocols?: string[];
  reusePort?: boolean;
}

/** The `Deno` namespace, as far as the adapter uses it. */
export interface DenoApi {
  listen(options: { hostname?: string; port?: number; transport?: string; path?: string; reusePort?: boolean }): DenoListener;
  listenTls(options: DenoListenTlsOptions): DenoListener;
  readFile(path: string): Promise<Uint8Array>;
  connect(options: { transport: "unix"; path: string }): Promise<DenoConn>;
  resolveDns(query: string, type: "A" | "AAAA"): Promise<string[]>;
  unrefTimer(id: number): void;
  open(path: string, options: DenoOpenOptions): Promise<DenoFsFile>;
  makeTempFile(options?: { prefix?: string }): Promise<string>;
  realPath(path: string): Promise<string>;
  stat(path: string): Promise<DenoFileInfo>;
  lstat(path: string): Promise<DenoFileInfo>;
  remove(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  readonly SeekMode: { readonly Start: number };
}

/**
 * The `Deno` global (read when called: this module may be loaded for type-checking anywhere).
 *
 * @example
 * ```ts ignore
 * const listener = deno().listen({ hostname: "127.0.0.1", port: 0, transport: "tcp" });
 * ```
 */
export const deno = (): DenoApi => (globalThis as unknown as { Deno: DenoApi }).Deno;
