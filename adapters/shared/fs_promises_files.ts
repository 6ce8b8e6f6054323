/**
 * The file port over the `fs/promises` API (Node's, and Bun's native implementation of it), which
 * the adapter passes in: this module imports no runtime.
 *
 * @module
 */

import type { AccessLogSink, FileSource, Files, TempFile } from "../../src/platform.ts";
import { fileSource } from "./file_source.ts";
import { tempFile, tempFileName } from "./temp_files.ts";

/** The part of an `fs/promises` file handle the file port uses. */
export interface FsFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<{ isFile(): boolean; size: number; mtimeMs: number }>;
  appendFile(data: string): Promise<void>;
  close(): Promise<void>;
}

/** The part of `fs/promises` the file port uses. */
export interface FsPromises {
  open(path: string, flags: string, mode?: number): Promise<FsFileHandle>;
  realpath(path: string): Promise<string>;
  stat(path: string): Promise<{ isFile(): boolean; isDirectory(): boolean }>;
  unlink(path: string): Promise<void>;
}

/**
 * The {@linkcode Files} port over `fs`; `tempPath` names a temp file in the system's temp directory.
 *
 * @example
 * ```ts ignore
 * import * as fs from "node:fs/promises";
 * const files = fsPromisesFiles(fs, (name) => join(tmpdir(), name));
 * ```
 */
export function fsPromisesFiles(fs: FsPromises, tempPath: (name: string) => string): Files {
  /** Unlinked at once where the OS allows (so even a crash leaves nothing behind), else deleted on close. */
  async function createTempFile(): Promise<TempFile> {
    const path = tempPath(tempFileName());
    const handle = await fs.open(path, "wx+", 0o600);
    let linked = true;
    try {
      await fs.unlink(path);
      linked = false;
    } catch { /* Windows: deleted on close instead */ }
    return tempFile(path, {
      write: async (data, position) => (await handle.write(data, 0, data.length, position)).bytesWritten,
      read: async (into, position) => (await handle.read(into, 0, into.length, position)).bytesRead,
      close: () => handle.close(),
    }, linked ? () => fs.unlink(path) : undefined);
  }

  async function open(path: string): Promise<FileSource> {
    const handle = await fs.open(path, "r");
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw new Error(`Cannot serve "${path}": it is not a regular file`);
      return fileSource(path, info.size, info.mtimeMs, {
        read: async (into, position) => (await handle.read(into, 0, into.length, position)).bytesRead,
        close: () => handle.close(),
      });
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Created if missing, mode 0644. */
  async function openAppend(path: string): Promise<AccessLogSink> {
    const handle = await fs.open(path, "a", 0o644);
    return {
      write: (text: string) => handle.appendFile(text),
      close: () => handle.close(),
    };
  }

  return {
    realPath: (path) => fs.realpath(path),
    async kind(path) {
      try {
        const info = await fs.stat(path);
        return info.isFile() ? "file" : info.isDirectory() ? "directory" : "other";
      } catch {
        return undefined;
      }
    },
    open,
    createTempFile,
    openAppend,
  };
}
