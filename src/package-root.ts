import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The directory holding WEST's package.json: the repository when this runs from `build/src/`, the installed
 * package when it runs from `dist/`. It is the nearest package.json above this module, the one Node itself
 * reads for these modules' `"type": "module"`.
 */
const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** A file or folder shipped with the package (`web/`, `package.json`, ...), by its path from the package root. */
export function packagePath(...segments: string[]): string {
  return join(PACKAGE_ROOT, ...segments);
}

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json in ${start} or above`);
  }
}
