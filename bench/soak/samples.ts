/** One sampling interval of the soak: the server's own figures and the load's over the same interval. */
export interface SoakSample {
  /** Seconds since the load started (end of the interval). */
  seconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  arrayBuffersBytes: number;
  /** The server's CPU use over the interval (1 = one core busy). */
  serverCpu: number;
  /** The server's event-loop delay over the interval, in milliseconds. */
  loopDelay: { p50: number; p99: number; max: number };
  /** The load process's own event-loop delay p99 (ms): high values mean the load, not the server, lagged. */
  loadLoopDelayP99: number;
  /** Open connections at the end of the interval. */
  connections: number;
  /** publish and send commands per second over the interval. */
  sentPerSecond: number;
  /** Deliveries received per second over the interval. */
  receivedPerSecond: number;
  /** Delivery latency p99 over the interval, in milliseconds. */
  latencyP99: number;
  /** Cumulative so far. */
  lost: number;
  errors: number;
  disconnects: number;
  /** The machine's 1-minute load average (the machine is shared). */
  loadAverage: number;
}

/** The samples of one minute, summarised. */
export interface MinuteRow {
  minute: number;
  rssBytes: number;
  heapUsedBytes: number;
  loopDelayP99: number;
  loopDelayMax: number;
  serverCpu: number;
  loadLoopDelayP99: number;
  connections: number;
  sentPerSecond: number;
  receivedPerSecond: number;
  lost: number;
  errors: number;
  loadAverage: number;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const max = (values: number[]) => Math.max(0, ...values);

/** Per minute: memory at the minute's end, the worst loop delay, mean rates and connections. */
export function perMinute(samples: SoakSample[]): MinuteRow[] {
  const minutes = new Map<number, SoakSample[]>();
  for (const sample of samples) {
    const minute = Math.max(1, Math.ceil(sample.seconds / 60 - 1e-9));
    minutes.set(minute, [...(minutes.get(minute) ?? []), sample]);
  }
  return [...minutes].map(([minute, group]) => {
    const last = group[group.length - 1] as SoakSample;
    return {
      minute,
      rssBytes: last.rssBytes,
      heapUsedBytes: last.heapUsedBytes,
      loopDelayP99: max(group.map((s) => s.loopDelay.p99)),
      loopDelayMax: max(group.map((s) => s.loopDelay.max)),
      serverCpu: mean(group.map((s) => s.serverCpu)),
      loadLoopDelayP99: max(group.map((s) => s.loadLoopDelayP99)),
      connections: Math.round(mean(group.map((s) => s.connections))),
      sentPerSecond: mean(group.map((s) => s.sentPerSecond)),
      receivedPerSecond: mean(group.map((s) => s.receivedPerSecond)),
      lost: last.lost,
      errors: last.errors,
      loadAverage: mean(group.map((s) => s.loadAverage)),
    };
  });
}
