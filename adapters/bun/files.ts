/**
 * Bun's file port: temp files, file bodies, `serveDir`'s directories and access-log files through
 * `node:fs/promises`, which Bun implements natively and documents as its file API for what
 * `Bun.file` does not do (positional reads and writes on an open file, realpath, stat, unlink).
 *
 * @module
 */

import * as fs from "node:fs/promises";
import type { Files } from "../../src/platform.ts";
import { fsPromisesFiles } from "../shared/fs_promises_files.ts";
import { bun } from "./api.ts";

/** The system's temp directory, found as `os.tmpdir()` finds it on POSIX (TMPDIR, TMP, TEMP, else /tmp). */
function tempDir(): string {
  const env = bun().env;
  const dir = env.TMPDIR || env.TMP || env.TEMP || "/tmp";
  return dir.length > 1 && (dir.endsWith("/") || dir.endsWith("\\")) ? dir.slice(0, -1) : dir;
}

/**
 * The file port on Bun.
 *
 * @example
 * ```ts ignore
 * const temp = await bunFiles.createTempFile();
 * ```
 */
export const bunFiles: Files = fsPromisesFiles(fs, (name) => `${tempDir()}/${name}`);
