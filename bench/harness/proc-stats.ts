import { existsSync, readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;
const HAS_SCHEDSTAT = existsSync("/proc/self/schedstat");

/**
 * CPU time (user + system) used so far by another process, in microseconds; 0 once it is gone. Summed over
 * its threads' scheduler run times (nanoseconds), as /proc/PID/stat counts only whole 10 ms ticks; where the
 * kernel has no schedstat, from those ticks. (A thread that has ended no longer counts: Node's and Go's
 * threads live as long as their process.)
 */
export function processCpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  if (!HAS_SCHEDSTAT) return tickCpuMicros(pid);
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let nanos = 0;
  for (const task of tasks) {
    try {
      const schedstat = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8");
      nanos += Number(schedstat.slice(0, schedstat.indexOf(" ")));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nanos / 1000;
}

function tickCpuMicros(pid: number): number {
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

/** Resident memory of a process now (VmRSS) in bytes; 0 once it is gone. */
export function processRssBytes(pid: number): number {
  return statusKilobytes(pid, "VmRSS") * 1024;
}

/** The most resident memory a process has had since it started (VmHWM) in bytes; 0 once it is gone. */
export function processPeakRssBytes(pid: number): number {
  return statusKilobytes(pid, "VmHWM") * 1024;
}

function statusKilobytes(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return match === null ? 0 : Number(match[1]);
  } catch {
    return 0;
  }
}
