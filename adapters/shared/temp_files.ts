/**
 * Spool temp files, the same on every runtime: the name, the registry of open ones (tests and
 * shutdown check that none is left behind) and the {@linkcode TempFile} wrapper over the runtime's
 * positional reads and writes.
 *
 * @module
 */

import type { TempFile } from "../../src/platform.ts";

/** Temp files currently open, by path (for tests and shutdown: none may be left behind). */
export const openTempFiles: Set<string> = new Set();

/**
 * A fresh temp file name, `waitress-spool-…` (tests find spool descriptors by that prefix).
 *
 * @example
 * ```ts
 * import { tempFileName } from "./temp_files.ts";
 * tempFileName().startsWith("waitress-spool-"); // true
 * ```
 */
export function tempFileName(): string {
  return `waitress-spool-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** An open file as the runtime gives it: positional reads and writes, and close. */
export interface PositionalFile {
  /** Writes from `data`'s start at `position`; resolves with the bytes written (maybe fewer). */
  write(data: Uint8Array, position: number): Promise<number>;
  /** Reads into `into` from `position`; resolves with the bytes read (0 at the end). */
  read(into: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The {@linkcode TempFile} over an open file at `path`, registered in {@linkcode openTempFiles}
 * until closed. `remove` deletes the file on close when it could not be unlinked while open.
 *
 * @example
 * ```ts ignore
 * const temp = tempFile(path, file, linked ? () => unlink(path) : undefined);
 * ```
 */
export function tempFile(path: string, file: PositionalFile, remove: (() => Promise<void>) | undefined): TempFile {
  openTempFiles.add(path);
  let closed = false;
  return {
    async write(data: Uint8Array, position: number): Promise<void> {
      let offset = 0;
      while (offset < data.length) offset += await file.write(offset === 0 ? data : data.subarray(offset), position + offset);
    },
    read: (into, position) => file.read(into, position),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      openTempFiles.delete(path);
      await file.close();
      if (remove !== undefined) await remove().catch(() => {});
    },
  };
}
