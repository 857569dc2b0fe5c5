import type WebSocket from "ws";
import { MAX_TIMER_MS } from "../options.js";
import { closeSocket } from "./socket-session.js";

/** Closes `socket` with 1008 "token expired" at `expiresAtMs` (epoch ms), unless it closes first. */
export function closeAtExpiry(socket: WebSocket, expiresAtMs: number, onExpired: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    const left = expiresAtMs - Date.now();
    if (left > 0) {
      // A far expiry is reached in steps, each within what a timer can wait.
      timer = setTimeout(check, Math.min(left, MAX_TIMER_MS));
      return;
    }
    timer = undefined;
    onExpired();
    closeSocket(socket, 1008, "token expired");
  };
  check();
  socket.once("close", () => clearTimeout(timer));
}
