import { countMembers, type Members, type Notice } from "../../core/message.js";
import type { Presence, PresenceEntry } from "../../core/seam.js";

/** Presence in this process's memory (local mode): per channel, each subscribed session and its key. */
export class LocalPresence implements Presence {
  private readonly channels = new Map<string, Map<number, string>>();

  constructor(
    /** Hands a notice to this node's subscribers (NodeEvents.notice). */
    private readonly notice: (notice: Notice, about: { nodeId: string; sessionId: number }) => void,
    private readonly nodeId: string,
  ) {}

  join(channel: string, { sessionId, key }: PresenceEntry, notify: boolean): void {
    let entries = this.channels.get(channel);
    if (entries === undefined) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    if (entries.has(sessionId)) return;
    entries.set(sessionId, key);
    if (notify) this.notice({ event: "join", from: key, channel }, { nodeId: this.nodeId, sessionId });
  }

  leave(channel: string, { sessionId, key }: PresenceEntry, notify: boolean): void {
    const entries = this.channels.get(channel);
    if (entries === undefined || !entries.delete(sessionId)) return;
    if (entries.size === 0) this.channels.delete(channel);
    if (notify) this.notice({ event: "leave", from: key, channel }, { nodeId: this.nodeId, sessionId });
  }

  members(channel: string): Members {
    return countMembers(this.channels.get(channel)?.values() ?? []);
  }
}
