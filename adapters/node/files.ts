/**
 * Node's file port: temp files, file bodies, `serveDir`'s directories and access-log files through
 * `node:fs/promises`.
 *
 * @module
 */

import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Files } from "../../src/platform.ts";
import { fsPromisesFiles } from "../shared/fs_promises_files.ts";

/**
 * The file port on Node.
 *
 * @example
 * ```ts ignore
 * const temp = await nodeFiles.createTempFile();
 * ```
 */
export const nodeFiles: Files = fsPromisesFiles(fs, (name) => join(tmpdir(), name));
