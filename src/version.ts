/**
 * The package version, as `waitress-serve --version` prints it. Generated from package.json by
 * tools/gen_version.mjs (npm's prebuild step): edit package.json, not this file.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`waitress-ts ${VERSION}`);
 * ```
 *
 * @module
 */

/** The version of this package (package.json's `version`). */
export const VERSION: string = "0.1.0";
