/**
 * A file that cannot be read, in a few words every runtime shares: Node and Bun set an errno-style
 * `code` (`ENOENT`), Deno an error class name (`NotFound`).
 *
 * @module
 */

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  NotFound: "no such file",
  EACCES: "permission denied",
  EPERM: "permission denied",
  PermissionDenied: "permission denied",
  EISDIR: "a directory, not a file",
  IsADirectory: "a directory, not a file",
};

/**
 * `read()`, rejecting with an `Error` whose message says why in a few words (`no such file`,
 * `permission denied`), the runtime's error as its `cause`.
 *
 * @example
 * ```ts ignore
 * const bytes = await readingFile(() => readFile("/etc/tls/cert.pem")); // rejects: "no such file"
 * ```
 */
export async function readingFile(read: () => Promise<Uint8Array>): Promise<Uint8Array> {
  try {
    return await read();
  } catch (error) {
    const { code, name } = (typeof error === "object" && error !== null ? error : {}) as { code?: unknown; name?: unknown };
    const known = (typeof code === "string" ? REASONS[code] : undefined) ?? (typeof name === "string" ? REASONS[name] : undefined);
    throw new Error(known ?? (error instanceof Error ? error.message : String(error)), { cause: error });
  }
}
