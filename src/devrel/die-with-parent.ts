import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

const SETPRIV = (process.env.PATH ?? "")
  .split(delimiter)
  .map((dir) => join(dir, "setpriv"))
  .find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

/**
 * `command args` so that the kernel SIGKILLs it when this process dies, even by SIGKILL, when no exit
 * handler runs: through util-linux `setpriv --pdeathsig`, which then execs the command (same pid). Where
 * setpriv is missing (not Linux) the command as is. Spawn from the main thread: the signal comes when the
 * spawning thread ends.
 */
export function dyingWithParent(command: string, args: readonly string[]): [string, string[]] {
  if (SETPRIV === undefined) return [command, [...args]];
  return [SETPRIV, ["--pdeathsig", "SIGKILL", "--", command, ...args]];
}

/** True when children started through `dyingWithParent` do die with this process. */
export const diesWithParent = SETPRIV !== undefined;
