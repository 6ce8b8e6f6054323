/**
 * Reading files in bounded chunks through `node:fs/promises`, which Node, Deno and Bun all provide.
 * Used by `fileResponse()`, `serveDir()` and the temp-file spool.
 *
 * @module
 */

import type { AccessLogSink, DirFiles, FileSource, Files, TempFile } from "../src/platform.ts";
import { open, realpath, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Temp files currently open (for tests and shutdown: none may be left behind). */
export const openTempFiles: Set<string> = new Set();

/**
 * Creates a temp file for spooling. It is unlinked at once where the OS allows (so even a crash
 * leaves nothing behind) and closed and deleted by `close()` otherwise.
 *
 * @example
 * ```ts ignore
 * const file = await createTempFile();
 * await file.write(bytes, 0);
 * await file.close();
 * ```
 */
export async function createTempFile(): Promise<TempFile> {
  const path = join(tmpdir(), `waitress-spool-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`);
  const handle = await open(path, "wx+", 0o600);
  let linked = true;
  try {
    await unlink(path);
    linked = false;
  } catch { /* Windows: deleted on close instead */ }
  openTempFiles.add(path);
  let closed = false;
  return {
    async write(data: Uint8Array, position: number): Promise<void> {
      let offset = 0;
      while (offset < data.length) {
        const { bytesWritten } = await handle.write(data, offset, data.length - offset, position + offset);
        offset += bytesWritten;
      }
    },
    async read(into: Uint8Array, position: number): Promise<number> {
      const { bytesRead } = await handle.read(into, 0, into.length, position);
      return bytesRead;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      openTempFiles.delete(path);
      await handle.close();
      if (linked) await unlink(path).catch(() => {});
    },
  };
}

/** Bytes read from disk per chunk. */
const CHUNK = 64 * 1024;

/**
 * Opens a regular file for streaming. The stream reads one chunk per pull, so a slow client never
 * makes the server read ahead; the file handle is closed when the stream ends, errors or is
 * cancelled.
 *
 * @example
 * ```ts ignore
 * const file = await openFile("./public/index.html");
 * new Response(file.stream(), { headers: { "content-length": String(file.size) } });
 * ```
 */
export async function openFile(path: string): Promise<FileSource> {
  const handle = await open(path, "r");
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new Error(`Cannot serve "${path}": it is not a regular file`);
    const size = info.size;
    let used = false;
    return {
      size,
      mtimeMs: info.mtimeMs,
      stream(start = 0, end = size): ReadableStream<Uint8Array> {
        if (used) throw new TypeError(`The file stream of "${path}" was already taken`);
        if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end <= size)) {
          throw new RangeError(`Cannot stream bytes ${start} to ${end} of "${path}" (${size} bytes)`);
        }
        used = true;
        let position = start;
        let closed = false;
        const close = async () => {
          if (!closed) {
            closed = true;
            await handle.close();
          }
        };
        return new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const want = Math.min(CHUNK, end - position);
              if (want <= 0) {
                await close();
                controller.close();
                return;
              }
              const buffer = new Uint8Array(want);
              const { bytesRead } = await handle.read(buffer, 0, want, position);
              if (bytesRead === 0) {
                await close();
                controller.error(new Error(`File "${path}" shrank while it was being sent`));
                return;
              }
              position += bytesRead;
              controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
            } catch (error) {
              await close().catch(() => {});
              controller.error(error);
            }
          },
          async cancel() {
            await close();
          },
        }, { highWaterMark: 0 });
      },
      close: async () => {
        if (!used) await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens a file for appending log lines (created if missing, mode 0644).
 *
 * @example
 * ```ts ignore
 * const sink = await openAppend("/var/log/waitress-access.log");
 * await sink.write("line\n");
 * ```
 */
export async function openAppend(path: string): Promise<AccessLogSink> {
  const handle = await open(path, "a", 0o644);
  return {
    write: (text: string) => handle.appendFile(text),
    close: () => handle.close(),
  };
}

/**
 * The file-system port of `serveDir()`: canonical paths, kinds and files through `node:fs/promises`.
 *
 * @example
 * ```ts ignore
 * const response = await serveDirWith(dirFiles, request, { root: "./public" });
 * ```
 */
export const dirFiles: DirFiles = {
  realPath: (path) => realpath(path),
  async kind(path) {
    try {
      const info = await stat(path);
      return info.isFile() ? "file" : info.isDirectory() ? "directory" : "other";
    } catch {
      return undefined;
    }
  },
  open: openFile,
};

/**
 * The file port for runtimes that provide `node:fs` (Node, and Bun, whose `node:fs` is its own
 * native file API).
 *
 * @example
 * ```ts ignore
 * const temp = await nodeFiles.createTempFile();
 * ```
 */
export const nodeFiles: Files = { ...dirFiles, createTempFile, openAppend };
