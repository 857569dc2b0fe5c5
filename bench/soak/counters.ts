/** What the load has counted; cumulative since the start. */
export interface SoakCounters {
  /** publish and send commands written. */
  sent: number;
  /** Deliveries received (new_message frames). */
  received: number;
  /** Deliveries owed to a receiver: confirmed publishes and sends to a live, confirmed subscriber or owner. */
  expected: number;
  /** Owed deliveries that arrived. */
  arrived: number;
  /** Owed deliveries that did not arrive within the grace period while sender and receiver stayed connected. */
  lost: number;
  /** Deliveries of a message id this client had already received (at most once is promised). */
  duplicated: number;
  /** Deliveries nobody was owed (e.g. published just before an unsubscribe or a disconnect): not errors. */
  unowed: number;
  /** Unexpected replies, closes and socket errors. */
  errors: number;
  /** Sends answered registration_not_found because the owner had just gone (not an error). */
  sendsToGoneOwner: number;
  /** Registrations refused while the previous connection's cleanup was still under way, then retried. */
  registrationRetries: number;
  connects: number;
  /** Disconnections the churn made (clean closes and abrupt terminations). */
  disconnects: number;
  /** Actions skipped because the connection already had many requests in flight. */
  skipped: number;
}

export const newCounters = (): SoakCounters => ({
  sent: 0,
  received: 0,
  expected: 0,
  arrived: 0,
  lost: 0,
  duplicated: 0,
  unowed: 0,
  errors: 0,
  sendsToGoneOwner: 0,
  registrationRetries: 0,
  connects: 0,
  disconnects: 0,
  skipped: 0,
});
