import { type Logger, pino } from "pino";

export type { Logger };

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export function createLogger(level: LogLevel = "info"): Logger {
  return pino({ level, base: { app: "west" } });
}
