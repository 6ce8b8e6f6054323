/**
 * File bodies, the same on every runtime: a {@linkcode FileSource} whose stream reads one bounded
 * chunk per pull from the runtime's open file.
 *
 * @module
 */

import type { FileSource } from "../../src/platform.ts";

/** Bytes read from disk per chunk. */
const CHUNK = 64 * 1024;

/** An open file for reading, as the runtime gives it. */
export interface FileReader {
  /** Reads into `into` from `position`; resolves with the bytes read (0 at the end). */
  read(into: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The {@linkcode FileSource} of an open regular file. The stream reads one chunk per pull, so a slow
 * client never makes the server read ahead; the file is closed when the stream ends, errors or is
 * cancelled.
 *
 * @example
 * ```ts ignore
 * const source = fileSource(path, info.size, info.mtimeMs, reader);
 * new Response(source.stream(), { headers: { "content-length": String(source.size) } });
 * ```
 */
export function fileSource(path: string, size: number, mtimeMs: number, file: FileReader): FileSource {
  let used = false;
  return {
    size,
    mtimeMs,
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
          await file.close();
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
            const bytesRead = await file.read(buffer, position);
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
      if (!used) await file.close();
    },
  };
}
