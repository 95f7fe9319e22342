/**
 * `Promise.withResolvers` (ES2024) for Node 20: aws-local-stepfunctions 3 — the only version on
 * the registry — calls it and declares Node >= 22 for this alone (checked: no other post-Node-20
 * API in its build). Installed once, only where it is missing, before that package runs.
 */
interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const PromiseWithResolvers = Promise as unknown as PromiseConstructor & {
  withResolvers?: <T>() => Resolvers<T>;
};

if (typeof PromiseWithResolvers.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
      let resolve!: Resolvers<T>['resolve'];
      let reject!: Resolvers<T>['reject'];
      const promise = new this<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

export {};
