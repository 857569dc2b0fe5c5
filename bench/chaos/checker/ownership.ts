import type { ConnectionClose } from "../history.js";
import { seconds, span } from "./describe.js";
import type { HistoryIndex, IndexedDelivery } from "./history-index.js";
import type { Violation } from "./verdict.js";

/** A point in the history: its index (the order the driver saw things in) and its time. */
export interface Mark {
  index: number;
  at: number;
}

export interface InstanceEnd extends Mark {
  how: "unregistered" | `unregister answered ${string}` | "registration_lost" | "closed" | "registered again";
  /** The connection's close, when that ended it. */
  close?: ConnectionClose;
}

/**
 * A registration instance: one connection holding one channel, from its `register` command (answered
 * `registration_succeeded`: the registration took effect somewhere between the two) to the end of its
 * ownership: the reply to its `unregister` (`unregistration_succeeded`, or any other: a node drops the
 * registration before it releases it in Redis, so an `internal_error` ends it too), a `registration_lost`
 * notice, or the connection's close. (A second `registration_succeeded` on the same connection would also end
 * the first: the node saw none to keep.)
 */
export interface RegistrationInstance {
  conn: string;
  channel: string;
  start: Mark;
  /** None while it lasted to the end of the history. */
  end?: InstanceEnd;
  /** The send deliveries it got, in order. */
  deliveries: IndexedDelivery[];
  /**
   * A `register` whose reply never came because its connection closed first: it may have taken effect. Used
   * only to excuse losses, never to admit a delivery.
   */
  unconfirmed: boolean;
}

/** Every registration instance of the history, by channel, in the order they started. */
export function registrationInstances(index: HistoryIndex): Map<string, RegistrationInstance[]> {
  const byChannel = new Map<string, RegistrationInstance[]>();
  const add = (instance: RegistrationInstance) => {
    const list = byChannel.get(instance.channel) ?? [];
    list.push(instance);
    byChannel.set(instance.channel, list);
  };
  /** Open instances by connection, then channel. */
  const open = new Map<string, Map<string, RegistrationInstance>>();
  const end = (conn: string, channel: string, mark: InstanceEnd) => {
    const instance = open.get(conn)?.get(channel);
    if (instance === undefined) return;
    instance.end = mark;
    open.get(conn)?.delete(channel);
  };
  index.history.forEach((event, at) => {
    const mark = { index: at, at: event.at };
    if (event.type === "reply") {
      const answered = index.answered.get(at);
      if (answered === undefined) return;
      const { command } = answered;
      if (command.event === "register" && event.event === "registration_succeeded") {
        const held = open.get(command.conn) ?? new Map<string, RegistrationInstance>();
        open.set(command.conn, held);
        // The server saw no registration to keep (after an unregister answered internal_error, say): the
        // previous one ended before this register took effect.
        end(command.conn, command.channel, {
          index: answered.index,
          at: command.at,
          how: "registered again",
        });
        const instance: RegistrationInstance = {
          conn: command.conn,
          channel: command.channel,
          start: { index: answered.index, at: command.at },
          deliveries: [],
          unconfirmed: false,
        };
        held.set(command.channel, instance);
        add(instance);
      } else if (command.event === "unregister") {
        end(command.conn, command.channel, { ...mark, how: unregistered(event.event) });
      }
    } else if (event.type === "lost") {
      end(event.conn, event.channel, { ...mark, how: "registration_lost" });
    } else if (event.type === "close") {
      for (const channel of [...(open.get(event.conn)?.keys() ?? [])])
        end(event.conn, channel, { ...mark, how: "closed", close: event });
    }
  });
  for (const { command, index: commandIndex, reply } of index.commands.values()) {
    const life = index.connections.get(command.conn);
    if (command.event !== "register" || reply !== undefined) continue;
    if (life?.close === undefined || life.closeIndex === undefined) continue;
    add({
      conn: command.conn,
      channel: command.channel,
      start: { index: commandIndex, at: command.at },
      end: { index: life.closeIndex, at: life.close.at, how: "closed", close: life.close },
      deliveries: [],
      unconfirmed: true,
    });
  }
  for (const list of byChannel.values()) list.sort((a, b) => a.start.index - b.start.index);
  return byChannel;
}

function unregistered(reply: string): InstanceEnd["how"] {
  return reply === "unregistration_succeeded" ? "unregistered" : `unregister answered ${reply}`;
}

/** How an instance is written in a violation. */
export function describeInstance(index: HistoryIndex, instance: RegistrationInstance): string {
  const ended = instance.end === undefined ? "" : ` (${instance.end.how})`;
  return `${index.describe(instance.conn)} registered ${span(instance.start.at, instance.end?.at)}${ended}`;
}

/**
 * Gives each send delivery to the registration instance of its connection and channel that holds it, and
 * reports a send delivered to a connection outside every registration of its own on that channel.
 */
export function assignDeliveries(
  index: HistoryIndex,
  instances: ReadonlyMap<string, RegistrationInstance[]>,
): Violation[] {
  const violations: Violation[] = [];
  const byHolder = new Map<string, RegistrationInstance[]>();
  for (const list of instances.values()) {
    for (const instance of list) {
      if (instance.unconfirmed) continue;
      const key = `${instance.conn} ${instance.channel}`;
      byHolder.set(key, [...(byHolder.get(key) ?? []), instance]);
    }
  }
  for (const indexed of index.deliveries) {
    const { delivery, payload } = indexed;
    if (payload?.kind !== "send") continue;
    const own = byHolder.get(`${delivery.conn} ${delivery.channel}`) ?? [];
    const holder = own.find(
      (instance) =>
        instance.start.index < indexed.index &&
        (instance.end === undefined || indexed.index < instance.end.index),
    );
    if (holder !== undefined) {
      holder.deliveries.push(indexed);
      continue;
    }
    const registrations =
      own.length === 0
        ? "it never registered it"
        : `its registrations: ${own.map((i) => describeInstance(index, i)).join("; ")}`;
    violations.push({
      rule: "delivery-outside-registration",
      at: delivery.at,
      channel: delivery.channel,
      message: `${index.describe(delivery.conn)} got ${String(delivery.data)} on ${delivery.channel} at ${seconds(delivery.at)} outside any registration of its own (${registrations})`,
    });
  }
  return violations;
}

/**
 * Two owners: on one channel, the delivery spans (first to last send delivery) of two registration instances
 * interleave: one got a send, then the other, then the first again, each certainly after the one before
 * (`HistoryIndex.before`: deliveries the driver read in one burst are not ordered).
 */
export function interleavedOwners(
  index: HistoryIndex,
  instances: ReadonlyMap<string, RegistrationInstance[]>,
): Violation[] {
  const violations: Violation[] = [];
  for (const [channel, list] of instances) {
    const receiving = list
      .filter((instance) => instance.deliveries.length > 0)
      .sort((a, b) => first(a).index - first(b).index);
    receiving.forEach((earlier, n) => {
      for (const later of receiving.slice(n + 1)) {
        // Later deliveries start after the earlier ones certainly ended: no interleaving.
        if (index.before(last(earlier).index, first(later).index)) continue;
        const found = interleaving(index, earlier, later) ?? interleaving(index, later, earlier);
        if (found === undefined) continue;
        const { outer, inner } = found;
        violations.push({
          rule: "two-owners",
          at: found.again.delivery.at,
          channel,
          message:
            `${channel} had two owners: ${describeInstance(index, earlier)} got sends ${deliverySpan(earlier)}, ` +
            `${describeInstance(index, later)} got sends ${deliverySpan(later)}; ` +
            `${outer.conn} got ${got(index, found.once)}, then ${inner.conn} got ${got(index, found.between)}, ` +
            `then ${outer.conn} got ${got(index, found.again)}`,
        });
      }
    });
  }
  return violations;
}

/** `outer` got a send, then `inner` got one, then `outer` got one again. */
interface Interleaving {
  outer: RegistrationInstance;
  inner: RegistrationInstance;
  once: IndexedDelivery;
  between: IndexedDelivery;
  again: IndexedDelivery;
}

/**
 * The first delivery of `inner` certainly after `outer`'s first and certainly before its last, with the
 * deliveries of `outer` closest to it on either side; none if there is no such delivery.
 */
function interleaving(
  index: HistoryIndex,
  outer: RegistrationInstance,
  inner: RegistrationInstance,
): Interleaving | undefined {
  const between = inner.deliveries.find((d) => index.before(first(outer).index, d.index));
  if (between === undefined || !index.before(between.index, last(outer).index)) return undefined;
  const once = outer.deliveries.findLast((d) => index.before(d.index, between.index)) as IndexedDelivery;
  const again = outer.deliveries.find((d) => index.before(between.index, d.index)) as IndexedDelivery;
  return { outer, inner, once, between, again };
}

function first(instance: RegistrationInstance): IndexedDelivery {
  return instance.deliveries[0] as IndexedDelivery;
}

function last(instance: RegistrationInstance): IndexedDelivery {
  return instance.deliveries[instance.deliveries.length - 1] as IndexedDelivery;
}

function deliverySpan(instance: RegistrationInstance): string {
  return span(first(instance).delivery.at, last(instance).delivery.at);
}

/** A delivery as a violation writes it: payload, time and, if the history has them, turn. */
function got(index: HistoryIndex, delivery: IndexedDelivery): string {
  const turn = index.hasTurns ? ` (turn ${index.turn(delivery.index)})` : "";
  return `${String(delivery.delivery.data)} at ${seconds(delivery.delivery.at)}${turn}`;
}
