/**
 * Deno's file port: temp files, file bodies, `serveDir`'s directories and access-log files through
 * `Deno.open`, `Deno.makeTempFile`, `Deno.realPath`, `Deno.stat` and `Deno.remove`.
 *
 * @module
 */

import type { AccessLogSink, FileSource, Files, TempFile } from "../../src/platform.ts";
import { fileSource } from "../shared/file_source.ts";
import { type PositionalFile, tempFile } from "../shared/temp_files.ts";
import { deno, type DenoFsFile } from "./api.ts";

/**
 * Positional reads and writes on a Deno file, which has a cursor instead: one operation at a time
 * (a spool writes while it is read), seeking only when the cursor is elsewhere.
 */
function positional(file: DenoFsFile): PositionalFile {
  /** Where the cursor is; -1 after a failure (unknown). */
  let cursor = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const at = (position: number, op: () => Promise<number>): Promise<number> => {
    const run = async (): Promise<number> => {
      const known = cursor;
      cursor = -1; // unknown until this operation succeeds
      if (known !== position) await file.seek(position, deno().SeekMode.Start);
      const n = await op();
      cursor = position + n;
      return n;
    };
    const result = tail.then(run, run);
    tail = result.catch(() => {});
    return result;
  };
  return {
    write: (data, position) => at(position, () => file.write(data)),
    read: (into, position) => at(position, async () => (await file.read(into)) ?? 0),
    async close() {
      await tail;
      file.close();
    },
  };
}

/** Unlinked at once where the OS allows (so even a crash leaves nothing behind), else deleted on close. */
async function createTempFile(): Promise<TempFile> {
  // Made with mode 0600 in the system's temp directory.
  const path = await deno().makeTempFile({ prefix: "waitress-spool-" });
  const file = await deno().open(path, { read: true, write: true });
  let linked = true;
  try {
    await deno().remove(path);
    linked = false;
  } catch { /* Windows: deleted on close instead */ }
  return tempFile(path, positional(file), linked ? () => deno().remove(path) : undefined);
}

async function open(path: string): Promise<FileSource> {
  const file = await deno().open(path, { read: true });
  try {
    const info = await file.stat();
    if (!info.isFile) throw new Error(`Cannot serve "${path}": it is not a regular file`);
    return fileSource(path, info.size, info.mtime?.getTime() ?? 0, positional(file));
  } catch (error) {
    file.close();
    throw error;
  }
}

const encoder = new TextEncoder();

/** Created if missing, mode 0644. */
async function openAppend(path: string): Promise<AccessLogSink> {
  const file = await deno().open(path, { append: true, create: true, mode: 0o644 });
  return {
    async write(text: string): Promise<void> {
      const bytes = encoder.encode(text);
      let offset = 0;
      while (offset < bytes.length) offset += await file.write(offset === 0 ? bytes : bytes.subarray(offset));
    },
    close: () => file.close(),
  };
}

/**
 * The file port on Deno.
 *
 * @example
 * ```ts ignore
 * const temp = await denoFiles.createTempFile();
 * ```
 */
export const denoFiles: Files = {
  realPath: (path) => deno().realPath(path),
  async kind(path) {
    try {
      const info = await deno().stat(path);
      return info.isFile ? "file" : info.isDirectory ? "directory" : "other";
    } catch {
      return undefined;
    }
  },
  open,
  createTempFile,
  openAppend,
};
