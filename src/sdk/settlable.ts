export interface Settle<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * A promise settled from outside, marked as handled: a `ready` that the application never awaits does not
 * report an unhandled rejection.
 */
export function settlable<T>(): [Promise<T>, Settle<T>] {
  let settle: Settle<T> | undefined;
  const promise = new Promise<T>((resolve, reject) => {
    settle = { resolve, reject };
  });
  promise.catch(() => undefined);
  return [promise, settle as Settle<T>];
}
