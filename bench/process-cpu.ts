import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) used so far by another process, in microseconds; 0 once it is gone. */
export function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of /proc/PID/stat (utime, stime), counted after the command name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / TICKS_PER_SECOND) * 1e6;
  } catch {
    return 0;
  }
}
