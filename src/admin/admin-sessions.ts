import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { secretMatches } from "../auth/secret-match.js";

/** The cookie of a signed-in dashboard viewer. */
export const SESSION_COOKIE = "west_admin";
/** How long a sign-in lasts. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Sign-ins kept at once; the oldest goes first beyond it. */
const MAX_SESSIONS = 1000;

/**
 * Who may see the dashboard: whoever gives the password (compared in constant time) gets a random session
 * token in an HttpOnly cookie, kept in this node's memory only (a viewer signs in on each node it opens).
 */
export class AdminSessions {
  /** Token -> when it expires (epoch ms), oldest first. */
  private readonly sessions = new Map<string, number>();

  constructor(private readonly password: string) {}

  /** A new session's token when `given` is the password; undefined otherwise. */
  signIn(given: string): string | undefined {
    if (!secretMatches(given, this.password)) return undefined;
    const token = randomBytes(32).toString("base64url");
    this.sessions.set(token, Date.now() + SESSION_TTL_MS);
    if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    return token;
  }

  signOut(request: IncomingMessage): void {
    const token = sessionToken(request);
    if (token !== undefined) this.sessions.delete(token);
  }

  isSignedIn(request: IncomingMessage): boolean {
    const token = sessionToken(request);
    const expires = token === undefined ? undefined : this.sessions.get(token);
    if (expires === undefined) return false;
    if (expires > Date.now()) return true;
    this.sessions.delete(token as string);
    return false;
  }
}

function sessionToken(request: IncomingMessage): string | undefined {
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const [name, value] = part.trim().split("=", 2);
    if (name === SESSION_COOKIE && value !== undefined && value !== "") return value;
  }
  return undefined;
}
