/** What the SDK uses of a WebSocket: the browser's, or the `ws` package's in Node (the same API). */
export interface SocketLike {
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(frame: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `globalThis.WebSocket` in browsers, `WebSocket` from the `ws` package in Node. */
export type WebSocketClass = new (url: string) => unknown;

/** The upgrade URL of an endpoint: BASE + path + /PROTOCOL[/KEY][?token=TOKEN]. */
export function endpointUrl(
  base: string,
  path: string,
  protocol: string,
  key: string | undefined,
  token: string | undefined,
): string {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, "");
  const keyPart = key === undefined ? "" : `/${encodeURIComponent(key)}`;
  url.pathname = `${prefix}${path}/${protocol}${keyPart}`;
  if (token !== undefined) url.searchParams.set("token", token);
  return url.toString();
}

/**
 * Why an upgrade to `url` did not open, as the node's admission check tells (a plain GET of the same URL,
 * docs/protocol.md, "The admission check (ext)"): the HTTP status, or undefined when the node cannot be reached or
 * would admit the upgrade now.
 */
export async function refusalStatus(url: string, timeoutMs: number): Promise<number | undefined> {
  if (typeof fetch !== "function") return undefined;
  const httpUrl = url.replace(/^ws(s?):/i, "http$1:");
  try {
    const response = await fetch(httpUrl, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status >= 400 ? response.status : undefined;
  } catch {
    return undefined;
  }
}
