/**
 * Runs functions one after the other per key, within this process: a call starts after every
 * earlier call for the same key has settled (whatever its outcome). Keys with nothing queued are
 * forgotten, so the map holds only keys with work in flight.
 */
export function keyedSerial(): <T>(key: string, fn: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>();
  return (key, fn) => {
    const next = (tails.get(key) ?? Promise.resolve()).then(fn, fn);
    const tail = next.catch(() => undefined);
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return next;
  };
}
