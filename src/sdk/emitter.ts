// biome-ignore lint/suspicious/noExplicitAny: listeners of any arguments
type Listener = (...args: any[]) => void;

/**
 * The smallest typed event emitter that browsers and Node share: `on` returns the function that removes the
 * listener. A listener that throws is reported to `onListenerError` and does not stop the others.
 */
export class Emitter<Events extends Record<string, Listener>> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  constructor(private readonly onListenerError: (error: unknown) => void = reportLater) {}

  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    this.listeners.set(event, set);
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): void {
    this.listeners.get(event)?.delete(listener);
  }

  /** How many listeners are attached, over every event (for leak checks). */
  listenerCount(): number {
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

function reportLater(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}
